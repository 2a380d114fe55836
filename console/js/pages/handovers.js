// 有人チャット (issue #17): the inbox of open hand-overs with their waiting time, the conversation
// (the bot's talk before it, then citizen ⇄ staff), taking it, replying, internal notes, closing.
// Live updates: the page polls the API every few seconds (GET /handovers, GET /handovers/{id}/messages?after=)
// — a first step; server-sent events through the service are to come.
import { api } from "../api.js";
import { h, field, showError, clearErrors, toast, confirmAction } from "../ui.js";

export const POLL_MS = 3000;
const AUTHORS = { citizen: "利用者", staff: "職員", note: "職員メモ（利用者には送られません）" };

function waited(seconds) {
  const m = Math.floor(seconds / 60);
  if (m < 1) return "1分未満";
  if (m < 60) return `${m}分`;
  return `${Math.floor(m / 60)}時間${m % 60}分`;
}

function time(iso) {
  const d = new Date(iso);
  return `${d.getMonth() + 1}/${d.getDate()} ${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

export default async function handovers(main, ctx) {
  const state = { selected: null, last: 0, filter: "all" };
  const filter = h("select", { name: "filter" },
    h("option", { value: "all" }, "すべて"), h("option", { value: "waiting" }, "未割り当て"),
    h("option", { value: "mine" }, "自分の担当"));
  const inbox = h("ul", { class: "handover-inbox", "aria-label": "対応待ち・対応中の有人チャット" });
  const pane = h("section", { class: "handover-pane", "aria-labelledby": "handover-title" },
    h("h2", { id: "handover-title" }, "会話"), h("p", { class: "hint" }, "左の一覧から会話を選んでください。"));
  main.replaceChildren(h("h1", {}, ctx.title),
    h("p", { class: "hint" }, `利用者からの新しいメッセージは、${POLL_MS / 1000}秒ごとに自動で表示されます。`),
    h("div", { class: "handover-layout" },
      h("section", { "aria-labelledby": "inbox-title" }, h("h2", { id: "inbox-title" }, "受信箱"), field("表示", filter), inbox),
      pane));
  filter.addEventListener("change", () => { state.filter = filter.value; refreshList(); });

  async function refreshList() {
    const rows = await api("GET", "/handovers?status=open");
    const shown = rows.filter((r) => state.filter === "all" || (state.filter === "waiting" ? r.assignee_id === null : r.assignee_id === ctx.me.id));
    inbox.replaceChildren(...(shown.length ? shown.map((r) => h("li", {},
      h("button", { type: "button", class: state.selected === r.id ? "current" : null, "data-handover": r.id,
        "aria-current": state.selected === r.id ? "true" : null, onclick: () => open(r.id) },
        `利用者 ${r.citizen.slice(0, 10)}`, h("br"), `待ち時間 ${waited(r.waiting_seconds)}`,
        r.queued ? "（時間外に受付）" : "", h("br"), r.assignee ? `担当: ${r.assignee}` : "未割り当て")))
      : [h("li", { class: "hint" }, "対応待ちの会話はありません。")]));
  }

  function line(m) {
    const item = h("li", { class: `msg ${m.author}`, "data-message": m.id },
      h("span", { class: "who" }, m.author === "staff" ? `${AUTHORS.staff}（${m.staff_name}）` : AUTHORS[m.author]),
      " ", h("time", { datetime: m.at }, time(m.at)), h("p", {}, m.text));
    if (m.has_image) {
      const handover = state.selected;
      const show = h("button", { type: "button", onclick: async () => {
        try {
          const blob = await api("GET", `/handovers/${handover}/messages/${m.id}/image`);
          show.replaceWith(h("img", { src: URL.createObjectURL(blob), alt: "利用者が送った画像", class: "handover-image" }));
        } catch (err) { toast(err.message, "error"); }
      } }, "画像を表示");
      item.append(show);
    }
    return item;
  }

  async function open(id) {
    state.selected = id;
    const d = await api("GET", `/handovers/${id}`);
    state.last = d.last_message_id;
    const log = h("ol", { class: "handover-log", "aria-live": "polite", "aria-label": "利用者と職員のやりとり" }, d.messages.map(line));
    const history = h("details", {}, h("summary", {}, `有人チャットの前のボットとのやりとり（${d.history.length}件）`),
      h("ol", { class: "handover-history" }, d.history.map((t) => h("li", {},
        h("span", { class: "who" }, t.direction === "in" ? "利用者" : "ボット"), " ", h("time", { datetime: t.at }, time(t.at)),
        h("p", {}, t.text)))));
    const text = h("textarea", { name: "text", rows: "3", maxlength: "2000", required: true });
    const note = h("input", { type: "checkbox", name: "note" });
    const form = h("form", { novalidate: true, class: "handover-reply" }, field("返信", text, "LINE で利用者に届きます。"),
      h("label", {}, note, " 職員メモにする（利用者には送りません）"), h("button", { type: "submit" }, "送信する"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault(); clearErrors(form);
      if (!text.value.trim()) { showError(form, { field: "text", message: "返信を入力してください。" }); return; }
      try {
        const m = await api("POST", `/handovers/${id}/messages`, { text: text.value.trim(), note: note.checked });
        if (m.id > state.last) { log.append(line(m)); state.last = m.id; }
        text.value = ""; note.checked = false;
        toast(m.author === "note" ? "メモを保存しました。" : "返信を送りました。");
      } catch (err) { showError(form, err); }
    });
    const take = h("button", { type: "button", onclick: async () => {
      try { await api("POST", `/handovers/${id}/assign`); toast("この会話を担当します。"); await open(id); refreshList(); }
      catch (err) { toast(err.message, "error"); }
    } }, "担当する");
    const close = h("button", { type: "button", class: "danger", onclick: async () => {
      if (!(await confirmAction("この会話を終了します。利用者にお知らせし、ボットの自動応答に戻ります。", "終了する"))) return;
      try { await api("POST", `/handovers/${id}/close`); toast("会話を終了しました。"); state.selected = null;
        pane.replaceChildren(h("h2", { id: "handover-title" }, "会話"), h("p", { role: "status" }, "会話を終了しました。")); refreshList(); }
      catch (err) { toast(err.message, "error"); }
    } }, "終了する");
    const who = d.assignee ? `担当: ${d.assignee}` : "未割り当て";
    pane.replaceChildren(h("h2", { id: "handover-title" }, `利用者 ${d.citizen.slice(0, 10)} との会話`),
      h("p", {}, `${who} ・ 待ち始め ${time(d.waiting_since)}`), history, log, form,
      h("div", { class: "actions" }, d.assignee_id === ctx.me.id ? null : take, close,
        // a deletion request made in the chat: to 個人データ削除 with this citizen (their LINE user id)
        ctx.can("citizens.erase") && /^U[0-9a-f]{32}$/.test(d.citizen)
          ? h("a", { class: "button secondary", href: `#/erasure?q=${encodeURIComponent(d.citizen)}` }, "この利用者の個人データを削除…")
          : null));
    pane.dataset.handover = String(id);
    refreshList();
  }

  async function poll() {
    if (!main.isConnected || !main.contains(inbox)) return;  // left the page: stop
    try {
      await refreshList();
      const log = pane.querySelector(".handover-log");
      if (state.selected !== null && log) {
        const fresh = await api("GET", `/handovers/${state.selected}/messages?after=${state.last}`);
        for (const m of fresh) { if (m.id > state.last) { log.append(line(m)); state.last = m.id; } }
      }
    } catch (err) {
      if (err.status === 401) return;
    }
    setTimeout(poll, POLL_MS);
  }
  await refreshList();
  setTimeout(poll, POLL_MS);
}
