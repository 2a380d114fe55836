// 有人チャット (issue #17): the inbox of open hand-overs with their waiting time, the conversation
// (the bot's talk before it, the citizen's attributes, then citizen ⇄ staff), taking it, replying
// (or picking a reply template), internal notes, passing it to a colleague or department, closing.
// Live updates: server-sent events (GET /handovers/events with a 60-second ticket from
// POST /handovers/stream-ticket: EventSource cannot send the token, and the token never goes in a URL).
// An event only says which conversation has new messages; they are read with
// GET /handovers/{id}/messages?after=. Without a live stream the page polls every 3 seconds.
import { api, BASE } from "../api.js";
import { h, field, showError, clearErrors, toast, confirmAction } from "../ui.js";

export const POLL_MS = 3000;
const LIVE_POLL_MS = 30000;  // a safety net while the stream is live
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
  const liveState = h("p", { class: "hint", role: "status", "data-live": "off" },
    `利用者からの新しいメッセージは、${POLL_MS / 1000}秒ごとに自動で表示されます。`);
  main.replaceChildren(h("h1", {}, ctx.title), liveState,
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
    const place = m.kind === "location" && /\((-?\d+\.\d+), (-?\d+\.\d+)\)$/.exec(m.text);
    if (place) {  // a location the citizen sent: on the 地理院地図 (a new tab)
      item.append(h("a", { href: `https://maps.gsi.go.jp/#17/${place[1]}/${place[2]}/`, target: "_blank", rel: "noopener" },
        "地図で見る（地理院地図、新しいタブ）"));
    }
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

  async function fetchNew() {
    const log = pane.querySelector(".handover-log");
    if (state.selected === null || !log) return;
    const id = state.selected;
    const fresh = await api("GET", `/handovers/${id}/messages?after=${state.last}`);
    if (id !== state.selected) return;
    for (const m of fresh) { if (m.id > state.last) { log.append(line(m)); state.last = m.id; } }
  }

  function details(d) {
    const history = h("details", {}, h("summary", {}, `有人チャットの前のボットとのやりとり（${d.history.length}件）`),
      h("ol", { class: "handover-history" }, d.history.map((t) => h("li", {},
        h("span", { class: "who" }, t.direction === "in" ? "利用者" : "ボット"), " ", h("time", { datetime: t.at }, time(t.at)),
        h("p", {}, t.text)))));
    const who = h("details", { class: "handover-citizen" }, h("summary", {}, `利用者の情報（属性 ${d.attributes.length}件）`),
      h("dl", {}, h("dt", {}, "表示名"), h("dd", {}, d.display_name ?? "—"),
        ...d.attributes.flatMap((a) => [h("dt", {}, a.label), h("dd", {}, a.text)])));
    return [who, history];
  }

  async function transferForm(id) {
    const colleagues = await api("GET", "/handovers/colleagues").catch(() => []);
    const staff = h("select", { name: "staff_id" }, h("option", { value: "" }, "（職員を選ばない）"),
      ...colleagues.filter((c) => c.id !== ctx.me.id).map((c) => h("option", { value: String(c.id) }, c.name)));
    const department = h("input", { name: "department", maxlength: "80", autocomplete: "off" });
    const form = h("form", { novalidate: true, class: "handover-transfer" },
      field("引き継ぐ職員", staff), field("引き継ぐ部署", department, "部署だけを指定すると、その部署のだれかが担当するまで未割り当てになります。"),
      h("button", { type: "submit", class: "secondary" }, "引き継ぐ"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault(); clearErrors(form);
      try {
        const body = { department: department.value.trim() };
        if (staff.value) body.staff_id = Number(staff.value);
        const t = await api("POST", `/handovers/${id}/transfer`, body);
        toast(`${t.assignee || t.department} に引き継ぎました。`);
        await open(id);
      } catch (err) { showError(form, err); }
    });
    return h("details", {}, h("summary", {}, "ほかの職員・部署に引き継ぐ"), form);
  }

  async function open(id) {
    state.selected = id;
    const [d, templates] = await Promise.all([api("GET", `/handovers/${id}`), api("GET", "/handover-templates").catch(() => [])]);
    state.last = d.last_message_id;
    const log = h("ol", { class: "handover-log", "aria-live": "polite", "aria-label": "利用者と職員のやりとり" }, d.messages.map(line));
    const text = h("textarea", { name: "text", rows: "3", maxlength: "2000", required: true });
    const note = h("input", { type: "checkbox", name: "note" });
    const pick = h("select", { name: "template" }, h("option", { value: "" }, "（定型文を選ぶ）"),
      ...templates.map((t) => h("option", { value: String(t.id) }, t.title)));
    pick.addEventListener("change", () => {
      const t = templates.find((x) => String(x.id) === pick.value);
      if (t) { text.value = t.text; text.focus(); }
    });
    const form = h("form", { novalidate: true, class: "handover-reply" },
      templates.length ? field("定型文", pick, "選ぶと返信欄に入ります。送る前に直せます。") : null,
      field("返信", text, "LINE で利用者に届きます。"),
      h("label", {}, note, " 職員メモにする（利用者には送りません）"), h("button", { type: "submit" }, "送信する"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault(); clearErrors(form);
      if (!text.value.trim()) { showError(form, { field: "text", message: "返信を入力してください。" }); return; }
      try {
        const m = await api("POST", `/handovers/${id}/messages`, { text: text.value.trim(), note: note.checked });
        if (m.id > state.last) { log.append(line(m)); state.last = m.id; }
        text.value = ""; note.checked = false; pick.value = "";
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
    const who = [d.assignee ? `担当: ${d.assignee}` : "未割り当て", d.department ? `部署: ${d.department}` : null].filter(Boolean).join(" ・ ");
    const mine = d.assignee_id === null || d.assignee_id === ctx.me.id;
    pane.replaceChildren(h("h2", { id: "handover-title" }, `利用者 ${d.citizen.slice(0, 10)} との会話`),
      h("p", {}, `${who} ・ 待ち始め ${time(d.waiting_since)}`), ...details(d), log, form,
      h("div", { class: "actions" }, d.assignee_id === ctx.me.id ? null : take, close,
        // a deletion request made in the chat: to 個人データ削除 with this citizen (their LINE user id)
        ctx.can("citizens.erase") && /^U[0-9a-f]{32}$/.test(d.citizen)
          ? h("a", { class: "button secondary", href: `#/erasure?q=${encodeURIComponent(d.citizen)}` }, "この利用者の個人データを削除…")
          : null),
      mine ? await transferForm(id) : null);
    pane.dataset.handover = String(id);
    refreshList();
  }

  // -- live updates: server-sent events, polling when they are not available --------------------
  const live = { source: null, up: false, retry: 0 };
  const gone = () => !main.isConnected || !main.contains(inbox);

  function showLive(up) {
    live.up = up;
    liveState.dataset.live = up ? "on" : "off";
    liveState.textContent = up ? "ライブ更新中：利用者からの新しいメッセージはすぐに表示されます。"
      : `利用者からの新しいメッセージは、${POLL_MS / 1000}秒ごとに自動で表示されます。`;
  }

  async function connect() {
    if (gone() || typeof EventSource === "undefined") return;
    let ticket;
    try { ticket = await api("POST", "/handovers/stream-ticket"); }
    catch { setTimeout(connect, 30000); return; }  // polling goes on meanwhile
    const source = live.source = new EventSource(`${BASE}/handovers/events?ticket=${encodeURIComponent(ticket.ticket)}`);
    source.addEventListener("ready", () => { live.retry = 0; showLive(true); fetchNew().catch(() => {}); refreshList().catch(() => {}); });
    source.addEventListener("message", (ev) => {
      const change = JSON.parse(ev.data);
      if (change.handover === state.selected && change.last > state.last) fetchNew().catch(() => {});
    });
    source.addEventListener("inbox", () => { refreshList().catch(() => {}); });
    source.addEventListener("expired", () => source.close());
    source.onerror = () => {
      // The ticket is good for one connection: a new one for each reconnection, after a growing pause.
      source.close();
      if (live.source !== source) return;
      live.source = null; showLive(false);
      live.retry = Math.min(live.retry + 1, 6);
      if (!gone()) setTimeout(connect, 1000 * 2 ** live.retry);
    };
  }

  let polled = Date.now();
  async function poll() {
    if (gone()) { if (live.source) { live.source.close(); live.source = null; } return; }  // left the page: stop
    if (!live.up || Date.now() - polled >= LIVE_POLL_MS) {
      polled = Date.now();
      try {
        await refreshList();
        await fetchNew();
      } catch (err) {
        if (err.status === 401) { if (live.source) live.source.close(); return; }
      }
    }
    setTimeout(poll, POLL_MS);
  }
  // Leaving the page (another screen of the console): the stream ends at once.
  window.addEventListener("hashchange", () => { if (live.source) { live.source.close(); live.source = null; } }, { once: true });
  await refreshList();
  connect();
  setTimeout(poll, POLL_MS);
}
