// 休館日・利用不可 for the 施設予約 calendar (issue #16): the month's closed days, blocked times and
// extra opening days of a facility (GET /calendar-days), added and removed here (facilities.edit).
import { api } from "../api.js";
import { h, field, showError, clearErrors, toast, confirmAction } from "../ui.js";

const KIND = { closed: "休館", blocked: "利用不可（時間指定可）", open: "臨時開館", holiday: "町の祝日" };

export function closures({ facility, units, month, lastDay, canEdit, changed, open }) {
  const box = h("details", { class: "card closures", open: !!open }, h("summary", {}, "休館日・利用不可の登録（この月）"));
  const list = h("ul", { class: "closure-list" });
  box.append(list);
  async function load() {
    const rows = await api("GET", `/calendar-days?facility_id=${facility.id}&date_from=${month}-01&date_to=${lastDay}`);
    list.replaceChildren(...(rows.length ? rows.map((c) => h("li", {},
      `${c.day} ${KIND[c.kind] || c.kind}${c.time ? ` ${c.time}` : "（終日）"}`,
      c.unit_id ? `・${units.find((u) => u.id === c.unit_id)?.name || ""}` : c.facility_id ? "・施設全体" : "・町全体",
      c.reason ? `「${c.reason}」` : "",
      canEdit && c.facility_id ? h("button", { type: "button", class: "danger", onclick: async () => {
        if (!(await confirmAction(`${c.day} の${KIND[c.kind] || c.kind}の登録を削除します。`, "削除する"))) return;
        try { await api("DELETE", `/calendar-days/${c.id}`); toast("削除しました。"); await load(); changed(); }
        catch (err) { toast(err.message, "error"); }
      } }, "削除") : null))
      : [h("li", { class: "hint" }, "この月の登録はありません（定休日は施設の設定によります）。")]));
  }
  if (canEdit) {
    const inputs = {
      day: h("input", { type: "date", name: "day", min: `${month}-01`, max: lastDay }),
      kind: h("select", { name: "kind" }, ["closed", "blocked", "open"].map((k) => h("option", { value: k }, KIND[k]))),
      unit_id: h("select", { name: "unit_id" }, h("option", { value: "" }, "施設全体"), units.map((u) => h("option", { value: u.id }, u.name))),
      time: h("input", { name: "time", placeholder: "例 13:00-17:00（空欄は終日）" }),
      reason: h("input", { name: "reason", maxlength: "200", placeholder: "例 設備点検のため" }),
    };
    const form = h("form", { class: "toolbar closure-form", novalidate: true, "aria-label": "休館日・利用不可の登録" },
      field("日付", inputs.day), field("種類", inputs.kind), field("室場", inputs.unit_id), field("時間", inputs.time),
      field("理由（利用者にも表示）", inputs.reason), h("button", { type: "submit" }, "登録する"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault(); clearErrors(form);
      if (!inputs.day.value) { showError(form, { field: "day", message: "日付を選んでください。" }); return; }
      try {
        await api("POST", "/calendar-days", { facility_id: facility.id, unit_id: inputs.unit_id.value ? Number(inputs.unit_id.value) : null,
          day: inputs.day.value, kind: inputs.kind.value, time: inputs.time.value.trim() || null, reason: inputs.reason.value.trim() });
        toast(`${inputs.day.value} を「${KIND[inputs.kind.value]}」として登録しました。`);
        form.reset(); await load(); changed();
      } catch (err) { showError(form, err); }
    });
    box.append(form);
  }
  if (open) load(); else box.addEventListener("toggle", () => { if (box.open) load(); }, { once: true });
  return box;
}
