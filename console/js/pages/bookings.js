// 施設予約 (issue #16, 国富町 表3): a month calendar per facility and unit with its bookings and closed
// days; a day's frames with their bookings (approve, change or cancel with a reason sent to the
// citizen); 電話受付 (proxy booking for a caller, with the fee quoted first); the day's and the month's
// lists, printable (print stylesheet) and as CSV (GET /bookings/list.csv).
import { api, download } from "../api.js";
import { h, field, showError, clearErrors, toast, confirmAction } from "../ui.js";
import { closures } from "./booking-closures.js";

const WEEK = ["日", "月", "火", "水", "木", "金", "土"];
const DAY_STATE = { available: "空きあり", few: "残りわずか", full: "満室", closed: "休館", past: "" };
const SLOT = { free: "空き", taken: "予約あり", closed: "休館", blocked: "利用不可", past: "終了",
  not_open: "受付開始前（窓口は可）", closed_online: "オンライン受付終了（窓口は可）" };
const BOOKABLE = new Set(["free", "not_open", "closed_online"]);
const RESIDENT = { resident: "町内在住", student: "町内在学", worker: "町内在勤", outside: "町外" };
const HOLDING = "pending,confirmed,offered";

const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
const dayOf = (s) => new Date(`${s}T00:00:00`);
const jp = (s) => { const d = dayOf(s); return `${d.getMonth() + 1}月${d.getDate()}日（${WEEK[d.getDay()]}）`; };
const yen = (n) => `${n.toLocaleString("ja-JP")}円`;
function lastDay(month) { const [y, m] = month.split("-").map(Number); return iso(new Date(y, m, 0)); }

export default async function bookings(main, ctx) {
  const facilities = await api("GET", "/facilities");
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const today = iso(new Date());
  const state = { facility: Number(params.get("facility")) || facilities[0]?.id, unit: null, detail: null,
    month: today.slice(0, 7), day: null, view: params.get("view") === "list" ? "list" : "calendar" };
  const manage = ctx.can("bookings.manage");
  const facilitySel = h("select", { name: "facility" }, facilities.map((f) => h("option", { value: f.id, selected: f.id === state.facility }, f.name)));
  const unitSel = h("select", { name: "unit" });
  const monthIn = h("input", { type: "month", name: "month", value: state.month });
  const viewSel = h("select", { name: "view" }, h("option", { value: "calendar" }, "カレンダー"),
    h("option", { value: "list", selected: state.view === "list" }, "一覧（印刷・CSV）"));
  const board = h("div", { class: "booking-board" });
  const pane = h("section", { class: "booking-day", "aria-labelledby": "day-title" });
  main.replaceChildren(h("h1", { class: "screen-only" }, ctx.title),
    h("div", { class: "toolbar booking-toolbar" }, field("施設", facilitySel), field("室場", unitSel), field("月", monthIn), field("表示", viewSel)),
    board, pane);
  if (!facilities.length) { board.replaceChildren(h("p", {}, "施設が登録されていません。")); return; }

  async function loadFacility() {
    state.detail = await api("GET", `/facilities/${state.facility}`);
    unitSel.replaceChildren(...state.detail.units.map((u) => h("option", { value: u.id }, u.name)));
    state.unit = state.detail.units[0]?.id ?? null;
  }
  const unitName = () => state.detail.units.find((u) => u.id === state.unit)?.name || "";

  async function holding(from, to, byUnit) {
    const p = new URLSearchParams({ facility_id: state.facility, date_from: from, date_to: to, status: HOLDING, limit: "500" });
    if (byUnit) p.set("unit_id", state.unit);
    return (await api("GET", `/bookings?${p}`)).items;
  }

  async function render() {
    pane.replaceChildren();
    if (state.view === "list") return renderList();
    if (state.unit === null) { board.replaceChildren(h("p", {}, "この施設には室場がありません。")); return; }
    const [marks, items] = await Promise.all([
      api("GET", `/availability/month?unit_id=${state.unit}&month=${state.month}`),
      holding(`${state.month}-01`, lastDay(state.month), true)]);
    const byDay = Object.groupBy ? Object.groupBy(items, (r) => r.day) : items.reduce((a, r) => ((a[r.day] ||= []).push(r), a), {});
    const first = dayOf(marks[0].day).getDay();
    const cells = [...Array(first).fill(null), ...marks];
    const weeks = [];
    for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7));
    const [y, m] = state.month.split("-").map(Number);
    board.replaceChildren(h("table", { class: "booking-calendar" },
      h("caption", {}, `${y}年${m}月　${state.detail.facility.name} ${unitName()}`),
      h("thead", {}, h("tr", {}, WEEK.map((w) => h("th", { scope: "col" }, w)))),
      h("tbody", {}, weeks.map((week) => h("tr", {}, [...week, ...Array(7 - week.length).fill(null)].map((mk) => {
        if (!mk) return h("td", { class: "empty" });
        const list = byDay[mk.day] || [];
        const label = `${jp(mk.day)} ${DAY_STATE[mk.state] || ""}${list.length ? ` 予約${list.length}件` : ""}`;
        return h("td", { class: `day state-${mk.state}${mk.day === state.day ? " current" : ""}`, "data-day": mk.day },
          h("button", { type: "button", class: "day-button", "aria-label": label, onclick: () => openDay(mk.day) },
            h("span", { class: "num" }, String(dayOf(mk.day).getDate())), h("span", { class: "mark", "aria-hidden": "true" }, mk.mark)),
          mk.state === "closed" ? h("span", { class: "closed-label" }, mk.note || "休館") : null,
          h("ul", { class: "day-bookings" }, list.slice(0, 3).map((r) => h("li", { class: `st-${r.status}` },
            `${r.time} ${r.applicant_name || r.number}`)), list.length > 3 ? h("li", {}, `ほか${list.length - 3}件`) : null));
      }))))), h("p", { class: "hint" }, "○ 空きあり　△ 残りわずか　× 満室　— 休館・利用不可。日付を選ぶと、その日の枠と予約を表示します。"),
    closures({ facility: state.detail.facility, units: state.detail.units, month: state.month, lastDay: lastDay(state.month),
      canEdit: ctx.can("facilities.edit"), open: state.closuresOpen, changed: () => { state.closuresOpen = true; render(); } }));
  }

  async function renderList() {
    const scope = state.day ? "day" : "month";
    const from = state.day || `${state.month}-01`, to = state.day || lastDay(state.month);
    const items = (await holding(from, to, false)).sort((a, b) => (a.day + a.time + a.unit_name).localeCompare(b.day + b.time + b.unit_name));
    const title = `${state.detail.facility.name} 予約一覧（${scope === "day" ? jp(state.day) : `${state.month.replace("-", "年")}月`}）`;
    const scopeSel = h("select", { name: "scope" }, h("option", { value: "month" }, "月間"), h("option", { value: "day", selected: scope === "day" }, "1日分"));
    const dayIn = h("input", { type: "date", name: "day", value: state.day || today, disabled: scope !== "day" });
    scopeSel.addEventListener("change", () => { state.day = scopeSel.value === "day" ? dayIn.value || today : null; render(); });
    dayIn.addEventListener("change", () => { if (dayIn.value) { state.day = dayIn.value; render(); } });
    const csv = () => download(`/bookings/list.csv?${scope === "day" ? `day=${state.day}` : `month=${state.month}`}&facility_id=${state.facility}`,
      `予約一覧-${scope === "day" ? state.day : state.month}.csv`).catch((err) => toast(err.message, "error"));
    board.replaceChildren(h("div", { class: "toolbar no-print" }, field("期間", scopeSel), field("日付", dayIn),
      h("button", { type: "button", onclick: () => window.print() }, "印刷する"),
      h("button", { type: "button", class: "secondary", onclick: csv }, "CSVで保存")),
    h("div", { class: "print-sheet" }, h("h2", { class: "print-title" }, title),
      h("p", { class: "print-meta" }, `${items.length}件（承認待ち・確定・案内中）　出力 ${new Date().toLocaleString("ja-JP")}　${ctx.me.display_name}`),
      h("table", { class: "booking-list" }, h("caption", { class: "visually-hidden" }, title),
        h("thead", {}, h("tr", {}, ["日付", "時間", "室場", "予約番号", "申請者", "電話", "人数", "目的", "使用料", "状態"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, items.length ? items.map((r) => h("tr", {}, h("td", {}, jp(r.day)), h("td", {}, r.time), h("td", {}, r.unit_name),
          h("td", {}, r.number), h("td", {}, r.applicant_name || ""), h("td", {}, r.applicant_phone || ""), h("td", {}, String(r.people)),
          h("td", {}, r.purpose), h("td", { class: "num" }, yen(r.fee)), h("td", {}, r.status_label)))
          : h("tr", {}, h("td", { colspan: "10" }, "この期間の予約はありません。"))))));
  }

  function reasonForm(r, kind) {
    const reason = h("textarea", { name: "reason", rows: "2", maxlength: "500", required: true });
    const extra = kind === "change" ? [field("利用日", h("input", { type: "date", name: "day", value: r.day })),
      field("時間（例 9:00-12:00）", h("input", { name: "time", value: r.time, pattern: "\\d{1,2}:\\d{2}-.+" }))] : [];
    const label = { cancel: "取り消す", change: "変更する", reject: "不承認にする" }[kind];
    const done = { cancel: "取り消し", change: "変更し", reject: "不承認とし" }[kind];
    const form = h("form", { class: "reason-form", novalidate: true }, ...extra,
      field("理由（利用者に LINE でお知らせします）", reason), h("button", { type: "submit", class: kind === "change" ? null : "danger" }, label));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault(); clearErrors(form);
      if (!reason.value.trim()) { showError(form, { field: "reason", message: "理由を入力してください。利用者にお知らせします。" }); return; }
      if (!(await confirmAction(`予約 ${r.number}（${jp(r.day)} ${r.time}）を${done}、理由を利用者にお知らせします。`, label))) return;
      try {
        if (kind === "change") {
          const f = new FormData(form);
          await api("PATCH", `/bookings/${r.id}`, { day: f.get("day"), time: f.get("time"), reason: reason.value.trim() });
        } else await api("POST", `/bookings/${r.id}/${kind}`, { reason: reason.value.trim() });
        toast(`予約 ${r.number} を${done}ました。`);
        await render(); await openDay(kind === "change" ? new FormData(form).get("day") : r.day);
      } catch (err) { showError(form, err); }
    });
    return form;
  }

  function bookingCard(r) {
    const actions = h("div", { class: "row-actions" });
    const box = h("div", { class: "booking-card", "data-booking": r.number },
      h("p", {}, h("strong", {}, `${r.time} ${r.unit_name}`), `　${r.status_label}　予約番号 ${r.number}`),
      h("p", {}, `${r.applicant_name || "（氏名なし）"}${r.applicant_phone ? `　電話 ${r.applicant_phone}` : ""}　${r.people}人　${r.purpose}　使用料 ${yen(r.fee)}`),
      r.staff_note ? h("p", { class: "hint" }, `メモ: ${r.staff_note}`) : null, manage ? actions : null);
    const open = (kind) => { box.querySelector(".reason-form")?.remove(); box.append(reasonForm(r, kind)); box.querySelector(".reason-form textarea, .reason-form input").focus(); };
    if (r.status === "pending") {
      actions.append(h("button", { type: "button", onclick: async () => {
        if (!(await confirmAction(`予約 ${r.number} を承認し、利用者にお知らせします。`, "承認する"))) return;
        try { await api("POST", `/bookings/${r.id}/approve`); toast(`予約 ${r.number} を承認しました。`); await render(); await openDay(r.day); }
        catch (err) { toast(err.message, "error"); }
      } }, "承認する"), h("button", { type: "button", class: "danger", onclick: () => open("reject") }, "不承認…"));
    }
    actions.append(h("button", { type: "button", class: "secondary", onclick: () => open("change") }, "変更…"),
      h("button", { type: "button", class: "danger", onclick: () => open("cancel") }, "取消…"));
    return box;
  }

  function proxyForm(day, slots) {
    const free = slots.filter((s) => BOOKABLE.has(s.status));
    const time = h("select", { name: "time" }, free.map((s) => h("option", { value: s.time }, `${s.label ? `${s.label} ` : ""}${s.time}`)));
    const purposes = state.detail.purposes.filter((p) => p.unit_id === null || p.unit_id === state.unit);
    const inputs = {
      people: h("input", { type: "number", name: "people", min: "1", value: "1", class: "short" }),
      purpose: purposes.length ? h("select", { name: "purpose" }, purposes.map((p) => h("option", { value: p.name }, p.name)))
        : h("input", { name: "purpose", maxlength: "60" }),
      applicant_name: h("input", { name: "applicant_name", maxlength: "100", autocomplete: "off", required: true }),
      applicant_phone: h("input", { name: "applicant_phone", type: "tel", maxlength: "40", autocomplete: "off" }),
      resident_type: h("select", { name: "resident_type" }, Object.entries(RESIDENT).map(([v, l]) => h("option", { value: v }, l))),
      staff_note: h("textarea", { name: "staff_note", rows: "2", maxlength: "1000" }),
    };
    const quote = h("p", { class: "quote", role: "status" });
    const body = () => ({ unit_id: state.unit, day, time: time.value, people: Number(inputs.people.value) || 0,
      purpose: inputs.purpose.value, applicant_name: inputs.applicant_name.value.trim(),
      applicant_phone: inputs.applicant_phone.value.trim() || null, resident_type: inputs.resident_type.value,
      staff_note: inputs.staff_note.value.trim() || null });
    const form = h("form", { class: "card proxy-form", novalidate: true, "aria-labelledby": "proxy-title" },
      h("h3", { id: "proxy-title" }, "電話・窓口で受け付ける（代行予約）"),
      h("p", { class: "hint" }, "受付期間の前後でも、職員は予約できます。予約番号をお電話でお伝えください。"),
      field("時間帯", time), field("人数", inputs.people), field("利用目的", inputs.purpose),
      field("申請者の氏名", inputs.applicant_name), field("電話番号", inputs.applicant_phone),
      field("利用者区分", inputs.resident_type), field("職員メモ（利用者には表示されません）", inputs.staff_note), quote,
      h("div", { class: "row-actions" },
        h("button", { type: "button", class: "secondary", onclick: async () => {
          clearErrors(form);
          try {
            const q = await api("POST", "/bookings/quote", body());
            quote.textContent = `使用料 ${yen(q.fee)}` + (q.lines.length ? `（${q.lines.map((l) => `${l.label} ${yen(l.amount)}`).join("、")}）` : "") +
              (q.problems.length ? `　ご注意: ${q.problems.join(" ")}` : "");
          } catch (err) { showError(form, err); }
        } }, "使用料を試算する"),
        h("button", { type: "submit" }, "予約する")));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault(); clearErrors(form);
      if (!inputs.applicant_name.value.trim()) { showError(form, { field: "applicant_name", message: "申請者の氏名を入力してください。" }); return; }
      try {
        const r = await api("POST", "/bookings", body());
        toast(`予約を受け付けました。予約番号は ${r.number} です。`);
        await render(); await openDay(day);
        pane.prepend(h("p", { class: "notice", role: "status", "data-testid": "booked" },
          `予約番号 ${r.number}（${jp(r.day)} ${r.time} ${r.unit_name}、使用料 ${yen(r.fee)}）をお伝えください。`));
      } catch (err) { showError(form, err); }
    });
    return free.length ? form : h("p", { class: "hint" }, "この日に予約できる枠はありません。");
  }

  async function openDay(day) {
    state.day = day;
    board.querySelectorAll("td[data-day]").forEach((td) => td.classList.toggle("current", td.dataset.day === day));
    const [slots, items] = await Promise.all([api("GET", `/availability/day?unit_id=${state.unit}&day=${day}`), holding(day, day, true)]);
    const rows = slots.map((s) => {
      const mine = items.filter((r) => r.start_minute < s.end_minute && r.end_minute > s.start_minute);
      return h("tr", {}, h("th", { scope: "row" }, `${s.label ? `${s.label} ` : ""}${s.time}`), h("td", {}, SLOT[s.status] || s.status),
        h("td", {}, mine.length ? mine.map((r) => `${r.applicant_name || ""}（${r.number}）`).join("、") : ""));
    });
    pane.replaceChildren(h("h2", { id: "day-title" }, `${jp(day)} ${state.detail.facility.name} ${unitName()}`),
      h("div", { class: "booking-day-cols" },
        h("div", {}, h("table", {}, h("caption", {}, "予約枠"), h("thead", {}, h("tr", {}, ["時間帯", "状況", "予約"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: "3" }, "この日は予約枠がありません（休館日など）。")))),
        h("h3", {}, `この日の予約（${items.length}件）`), items.length ? items.map(bookingCard) : h("p", { class: "hint" }, "予約はありません。")),
        manage ? proxyForm(day, slots) : null));
    pane.scrollIntoView({ block: "start" });
  }

  facilitySel.addEventListener("change", async () => { state.facility = Number(facilitySel.value); state.day = null; await loadFacility(); render(); });
  unitSel.addEventListener("change", () => { state.unit = Number(unitSel.value); state.day = null; render(); });
  monthIn.addEventListener("change", () => { if (monthIn.value) { state.month = monthIn.value; state.day = null; render(); } });
  viewSel.addEventListener("change", () => { state.view = viewSel.value; render(); });
  await loadFacility();
  await render();
}
