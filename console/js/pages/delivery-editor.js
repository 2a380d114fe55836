// 配信の作成・編集 (国富町 §9(2)(ア)③⑦⑧⑨): up to five messages with a live preview drawn by the
// simulator's own renderer, the audience with its live count, the timing, a test send, and save.
// API calls: open = GET /segments + GET /attributes (+ GET /deliveries/{id}); each audience change =
// POST /segments/preview or GET /segments/{id}/count; save = POST /deliveries or PUT /deliveries/{id};
// test send = (POST|PUT draft) + POST /deliveries/{id}/test; cancel = POST /deliveries/{id}/cancel.
import { api } from "../api.js";
import { h, field, showError, clearErrors, toast, confirmAction } from "../ui.js";
import { renderRow } from "/admin/line/render.js";
import { KINDS, messageEditor } from "./delivery-messages.js";

const DRAFT = "madoguchi.console.delivery-draft";
const MAX = 5;
const WEEKDAYS = [..."月火水木金土日"];
const TIMINGS = [["now", "今すぐ送る"], ["at", "日時を決めて送る（予約）"], ["recurring", "繰り返し送る"],
  ["reminder", "登録された日付の前後に送る（リマインド）"], ["draft", "下書きとして保存する（送らない）"]];
const TARGETS = [["all", "友だち全員"], ["segment", "セグメント（条件に合う人）"], ["test", "テスト用アカウントだけ"]];
const KINDS_OF_RULE = [["daily", "毎日"], ["weekly", "毎週（曜日）"], ["monthly_day", "毎月（日にち）"], ["monthly_nth", "毎月（第n曜日）"]];
const OPEN = ["draft", "approval", "scheduled", "active"];

const radios = (name, options, value, editable) => h("fieldset", { class: "choices" }, h("legend", {}, name === "target" ? "送る相手" : "いつ送るか"),
  options.map(([v, l]) => h("label", { class: "inline" }, h("input", { type: "radio", name, value: v, checked: v === value, disabled: !editable }), l)));
const tokyoLocal = (iso) => (iso ? new Date(new Date(iso).getTime() + 9 * 3600e3).toISOString().slice(0, 16) : "");
const today = () => tokyoLocal(new Date().toISOString()).slice(0, 10);

export async function deliveryEditor(main, ctx, row, back) {
  const shown = location.hash;
  const [segments, attributes, detail] = await Promise.all([api("GET", "/segments"), api("GET", "/attributes"),
    row ? api("GET", `/deliveries/${row.id}`) : null]);
  const editable = ctx.can("deliveries.send") && (!detail || OPEN.includes(detail.status));
  const draft = row ? null : JSON.parse(sessionStorage.getItem(DRAFT) || "null");
  const start = detail || draft || { title: "", messages: [{ type: "text", text: "" }], target: "all", segment_id: null, timing: "now", send_at: null, rule: null };
  let id = detail?.id ?? null, status = detail?.status ?? null, statusLabel = detail?.status_label ?? "";

  // ---- messages --------------------------------------------------------------------------------
  const list = h("ol", { class: "messages-edit" });
  const addButton = h("button", { type: "button", class: "secondary", disabled: !editable, onclick: () => { addMessage({ type: "text", text: "" }); changed(); } }, "メッセージを追加");
  function addMessage(m) {
    const li = h("li", { class: "message-card" });
    const kind = h("select", { "aria-label": "メッセージの種類", disabled: !editable }, KINDS.map(([v, l]) => h("option", { value: v, selected: v === m.type }, l)));
    let editor = messageEditor(m, changed, editable);
    kind.addEventListener("change", () => { const e = messageEditor({ type: kind.value }, changed, editable); editor.replaceWith(e); editor = e; changed(); });
    const move = (d) => { const sib = d < 0 ? li.previousElementSibling : li.nextElementSibling; if (sib) { d < 0 ? sib.before(li) : sib.after(li); number(); changed(); } };
    const title = h("h3", {});
    li.append(h("div", { class: "message-head" }, title, kind, editable ? h("span", { class: "row-actions" },
      h("button", { type: "button", class: "secondary", onclick: () => move(-1) }, "上へ"),
      h("button", { type: "button", class: "secondary", onclick: () => move(1) }, "下へ"),
      h("button", { type: "button", class: "danger", onclick: () => { if (list.children.length > 1) { li.remove(); number(); changed(); } } }, "削除")) : null), editor);
    li.read = () => editor.read();
    li.heading = title;
    list.append(li);
    number();
  }
  function number() {
    [...list.children].forEach((li, i) => { li.heading.textContent = `メッセージ${i + 1}`; });
    addButton.disabled = !editable || list.children.length >= MAX;
  }
  start.messages.forEach(addMessage);

  // ---- the preview, drawn by the simulator's renderer ---------------------------------------------
  const screen = h("div", { class: "messages", "data-testid": "preview" });
  const preview = h("aside", { class: "line-preview", "aria-label": "LINEでの見え方（プレビュー）" },
    h("div", { class: "line-top" }, "LINE でこう見えます"), screen);
  const act = (a) => toast(a.uri || a.linkUri ? `プレビューではリンクを開きません（${a.uri || a.linkUri}）。` : "プレビューではボタンは動きません。");
  const drawPreview = () => {
    const time = new Date().toLocaleTimeString("ja-JP", { hour: "2-digit", minute: "2-digit" });
    screen.replaceChildren(...[...list.children].map((li, i) => {
      const m = li.read();
      if (!m) return h("p", { class: "system" }, `メッセージ${i + 1}: 入力するとここに表示されます`);
      if (m.invalid) return h("p", { class: "system" }, `メッセージ${i + 1}: ${m.invalid}`);
      return renderRow(m, act, { initial: "町", time });
    }));
  };

  // ---- audience ----------------------------------------------------------------------------------
  const target = radios("target", TARGETS, start.target, editable);
  const segment = h("select", { name: "segment_id", disabled: !editable },
    h("option", { value: "" }, "セグメントを選んでください"), segments.map((s) => h("option", { value: s.id, selected: s.id === start.segment_id }, s.name)));
  const segmentField = field("セグメント", segment);
  const count = h("p", { class: "count", "aria-live": "polite", "data-testid": "audience-count" });
  const targetValue = () => target.querySelector("input:checked")?.value || "all";
  let audience = null, seq = 0;
  async function refreshCount() {
    const mine = ++seq, t = targetValue();
    segmentField.hidden = t !== "segment";
    try {
      if (t === "segment" && !segment.value) { count.textContent = "セグメントを選ぶと人数が出ます。"; return; }
      const p = t === "segment" ? await api("GET", `/segments/${segment.value}/count`) : await api("POST", "/segments/preview", { filter: { type: "all" }, sample: 0 });
      if (mine !== seq) return;
      audience = t === "test" ? p.test_accounts : p.count;
      count.textContent = t === "test" ? `テスト用アカウント: ${audience}件` : `いま送ると届く人数: ${audience}人`;
    } catch (err) { if (mine === seq) count.textContent = err.message; }
  }

  // ---- timing --------------------------------------------------------------------------------------
  const rule = start.rule || {};
  const timing = radios("timing", TIMINGS, start.timing, editable);
  const sendAt = h("input", { type: "datetime-local", name: "send_at", value: tokyoLocal(start.send_at), disabled: !editable });
  const ruleKind = h("select", { name: "rule.kind", disabled: !editable }, KINDS_OF_RULE.map(([v, l]) => h("option", { value: v, selected: v === (rule.kind || "weekly") }, l)));
  const weekdays = h("fieldset", { class: "choices" }, h("legend", {}, "曜日"), WEEKDAYS.map((w, i) =>
    h("label", { class: "inline" }, h("input", { type: "checkbox", value: i, name: i ? null : "rule.weekdays", checked: (rule.weekdays || []).includes(i), disabled: !editable }), w)));
  const days = h("input", { name: "rule.days", value: (rule.days || []).map((d) => (d === -1 ? "月末" : d)).join(", "), placeholder: "例: 1, 15, 月末", disabled: !editable });
  const nthN = h("select", { name: "rule.nth", "aria-label": "第何週", disabled: !editable }, [1, 2, 3, 4, 5, -1].map((n) => h("option", { value: n, selected: rule.nth?.[0]?.[0] === n }, n === -1 ? "最終" : `第${n}`)));
  const nthD = h("select", { "aria-label": "曜日", disabled: !editable }, WEEKDAYS.map((w, i) => h("option", { value: i, selected: rule.nth?.[0]?.[1] === i }, `${w}曜日`)));
  const time = h("input", { type: "time", name: "rule.time", value: rule.time || "09:00", disabled: !editable });
  const from = h("input", { type: "date", name: "rule.start", value: rule.start || today(), disabled: !editable });
  const until = h("input", { type: "date", name: "rule.end", value: rule.end || "", disabled: !editable });
  const holidays = h("input", { type: "checkbox", name: "rule.skip_holidays", checked: !!rule.skip_holidays, disabled: !editable });
  const dates = attributes.filter((a) => a.kind === "date" && a.active);
  const attr = h("select", { name: "rule.attribute", disabled: !editable }, dates.map((a) => h("option", { value: a.key, selected: a.key === rule.attribute }, a.label)));
  const offset = h("input", { type: "number", name: "rule.offset", class: "short", min: 0, value: Math.abs(rule.offset ?? 7), disabled: !editable });
  const unit = h("select", { "aria-label": "単位", disabled: !editable }, [["days", "日"], ["months", "か月"]].map(([v, l]) => h("option", { value: v, selected: v === (rule.unit || "days") }, l)));
  const side = h("select", { "aria-label": "前か後か", disabled: !editable }, [["-1", "前"], ["1", "後"]].map(([v, l]) => h("option", { value: v, selected: (rule.offset ?? -1) < 0 === (v === "-1") }, l)));
  const kindParts = { weekly: h("div", {}, weekdays), monthly_day: field("日にち（「月末」も使えます）", days),
    monthly_nth: h("div", { class: "inputs" }, nthN, nthD), daily: h("div") };
  const atPanel = field("送る日時（日本時間）", sendAt);
  const recurringPanel = h("div", { class: "panel" }, field("繰り返し方", ruleKind), ...Object.values(kindParts));
  const reminderPanel = h("div", { class: "panel" }, field("日付の項目", attr),
    h("div", { class: "inputs" }, h("label", { class: "inline" }, offset, "の長さ"), unit, side), h("p", { class: "hint" }, "例: 子どもの生年月日の 90日後 に送る。該当する人がいる日に毎日送ります。"));
  const common = h("div", { class: "panel" }, field("時刻（日本時間）", time), field("開始日", from),
    field("終了日（任意）", until), h("label", { class: "inline" }, holidays, "祝日は送らない"));
  const timingValue = () => timing.querySelector("input:checked")?.value || "now";
  const drawTiming = () => {
    const t = timingValue();
    atPanel.hidden = t !== "at"; recurringPanel.hidden = t !== "recurring"; reminderPanel.hidden = t !== "reminder";
    common.hidden = t !== "recurring" && t !== "reminder";
    until.closest(".field").hidden = holidays.parentElement.hidden = t === "reminder";
    for (const [k, el] of Object.entries(kindParts)) el.hidden = ruleKind.value !== k;
  };
  const readRule = () => {
    const t = timingValue();
    if (t === "reminder") return { attribute: attr.value, offset: Number(offset.value || 0) * Number(side.value), unit: unit.value, time: time.value, start: from.value };
    if (t !== "recurring") return null;
    const r = { kind: ruleKind.value, time: time.value, start: from.value, end: until.value || null, skip_holidays: holidays.checked };
    if (r.kind === "weekly") r.weekdays = [...weekdays.querySelectorAll("input:checked")].map((c) => Number(c.value));
    if (r.kind === "monthly_day") r.days = days.value.split(/[,、・\s]+/).filter(Boolean).map((d) => (d === "月末" ? -1 : Number(d.replace(/日$/, ""))));
    if (r.kind === "monthly_nth") r.nth = [[Number(nthN.value), Number(nthD.value)]];
    return r;
  };

  // 緊急配信 (issue #22): before every other delivery; to everyone, one LINE broadcast
  const urgent = h("input", { type: "checkbox", name: "urgent", checked: !!start.urgent, disabled: !editable });
  const urgentField = h("label", { class: "inline" }, urgent, "緊急配信（ほかのすべての配信より先に送ります。災害時の避難情報などに）");
  // ---- the form ----------------------------------------------------------------------------------
  const titleInput = h("input", { name: "title", value: start.title, maxlength: 100, required: true, disabled: !editable });
  const body = () => {
    const t = timingValue();
    return { title: titleInput.value, messages: [...list.children].map((li) => li.read() || {}), target: targetValue(),
      segment_id: targetValue() === "segment" && segment.value ? Number(segment.value) : null, timing: t,
      send_at: t === "at" && sendAt.value ? `${sendAt.value}:00+09:00` : null, rule: readRule(), urgent: urgent.checked };
  };
  let timer;
  function changed() {
    clearTimeout(timer);
    timer = setTimeout(() => {
      drawPreview();
      if (!id && editable) sessionStorage.setItem(DRAFT, JSON.stringify(body()));
    }, 150);
  }
  const state = h("p", { class: "notice", role: "status" });
  const showState = () => {
    state.hidden = !status;
    state.textContent = status ? `状態: ${statusLabel}` : "";
  };
  const runs = h("section", { class: "card" });
  const drawRuns = (d) => runs.replaceChildren(h("h2", {}, "送信の記録"), d && d.runs.length ? h("div", { class: "table-wrap" }, h("table", {},
    h("thead", {}, h("tr", {}, ["日時", "種類", "対象", "成功", "失敗"].map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, d.runs.map((r) => h("tr", {}, h("td", {}, `${r.date} ${r.time}`), h("td", {}, r.is_test ? "テスト送信" : r.timing),
      h("td", {}, r.targeted), h("td", {}, r.succeeded), h("td", {}, r.failed)))))) : h("p", { class: "hint" }, "まだ送っていません。"));
  drawRuns(detail);

  const cancelButton = detail && ctx.can("deliveries.send") && ["approval", "scheduled", "active"].includes(detail.status)
    ? h("button", { type: "button", class: "danger", onclick: cancel }, detail.status === "active" ? "繰り返しを止める" : "配信を取り消す") : null;
  const form = h("form", { class: "editor delivery-editor", novalidate: true },
    h("h1", {}, detail ? `配信「${detail.title}」` : "新しい配信"), state,
    editable ? null : h("p", { class: "notice" }, ctx.can("deliveries.send") ? "送信済み・取り消し済みの配信は変更できません。" : "閲覧のみの権限のため、配信の作成・変更・送信はできません。"),
    h("div", { class: "compose" },
      h("div", { class: "compose-main" },
        field("タイトル（職員用。利用者には見えません）", titleInput),
        h("h2", {}, `メッセージ（${MAX}件まで）`), list, editable ? addButton : null,
        h("h2", {}, "配信先"), target, segmentField, count,
        h("h2", {}, "タイミング"), timing, atPanel, recurringPanel, reminderPanel, common, urgentField),
      preview),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "secondary", onclick: back }, "一覧に戻る"),
      cancelButton,
      editable ? h("button", { type: "button", class: "secondary", onclick: testSend }, "テスト用アカウントに送る") : null,
      editable ? h("button", { type: "submit" }, "保存する") : null),
    runs);

  function placeError(err) {
    const m = /^messages\.(\d+)\.?(.*)$/.exec(err.field || "");
    const card = m && list.children[Number(m[1])];
    if (card) { clearErrors(form); showError(card, { ...err, field: m[2].split(".")[0] || null }); card.scrollIntoView({ block: "center" }); return; }
    showError(form, err);
  }
  async function save(bodyOut) {
    const out = id ? await api("PUT", `/deliveries/${id}`, bodyOut) : await api("POST", "/deliveries", bodyOut);
    id = out.id; status = out.status; statusLabel = out.status_label; sessionStorage.removeItem(DRAFT);
    return out;
  }
  // A message the page itself can tell is wrong (JSON that does not parse) is shown before any call.
  function localProblem() {
    const i = [...list.children].findIndex((li) => li.read()?.invalid);
    if (i < 0) return false;
    placeError({ field: `messages.${i}.contents`, message: `メッセージ${i + 1}: ${list.children[i].read().invalid}` });
    return true;
  }
  async function testSend() {
    clearErrors(form);
    if (localProblem()) return;
    try {
      if (!status || status === "draft") await save({ ...body(), timing: "draft", send_at: null, rule: null });
      const out = await api("POST", `/deliveries/${id}/test`);
      showState(); drawRuns(out);
      // the test run is sent by the scheduler in a moment: its record follows
      for (const wait of [1500, 4000]) setTimeout(() => api("GET", `/deliveries/${id}`).then(drawRuns).catch(() => {}), wait);
      toast(`テスト用アカウントに送りました（保存した内容です）。`);
    } catch (err) { placeError(err); toast(err.message, "error"); }
  }
  async function cancel() {
    if (!(await confirmAction(`配信「${detail.title}」を取り消します（繰り返しはこの先送りません）。よろしいですか。`, "取り消す"))) return;
    try { await api("POST", `/deliveries/${id}/cancel`); toast("配信を取り消しました。"); back(); } catch (err) { toast(err.message, "error"); showError(form, err); }
  }
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault(); clearErrors(form);
    if (localProblem()) return;
    const b = body();
    if (b.timing !== "draft" && b.target !== "test") {
      const who = b.target === "segment" ? `セグメント「${segment.selectedOptions[0]?.textContent}」の人（いま${audience ?? "?"}人）` : `友だち全員（いま${audience ?? "?"}人）`;
      const when = { now: "今すぐ", at: "指定した日時に", recurring: "繰り返し", reminder: "該当する日に" }[b.timing];
      if (!(await confirmAction(`${who}に${when}送ります。送ったメッセージは取り消せません。よろしいですか。`, "送る"))) return;
    }
    try {
      const out = await save(b);
      toast(b.timing === "draft" ? "下書きを保存しました。" : b.timing === "now" ? "配信を保存し、送信を始めました。" : "配信を保存しました。");
      back(out);
    } catch (err) { placeError(err); }
  });
  form.addEventListener("input", changed);
  form.addEventListener("change", (ev) => {
    if (ev.target.name === "target" || ev.target === segment) refreshCount();
    drawTiming(); changed();
  });
  if (location.hash !== shown) return;  // staff went elsewhere while it loaded
  main.replaceChildren(form);
  showState(); drawTiming(); drawPreview(); refreshCount();
  titleInput.focus();
}
