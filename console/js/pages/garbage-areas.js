// ごみ分別辞書の「分別」と「収集地区・収集日」 (issue #16): forms over the API, used by garbage.js. A category is
// a row of 5374's description.csv (name, 補足, how to put it out); an area a row of area_days.csv (name, センター,
// one collection rule per category: 月 木 / 水1 水3 / 20270114 / 金1:4 5 6). The bot answers a change in seconds.
// API calls: POST /garbage/categories, PATCH|DELETE /garbage/categories/{label}, GET|POST /garbage/areas,
// PATCH|DELETE /garbage/areas/{name}. A wrong rule comes back as 422 with field days.<分別> and the reason.
import { api } from "../api.js";
import { h, field, listView, showError, clearErrors, toast, confirmAction } from "../ui.js";

export const DAYS_HINT = "曜日は「月 木」（毎週）、第何週は「水1 水3」（第1・第3水曜日）、日付は「20270114」、"
  + "月を限るときは「金1:4 5 6」（4〜6月の第1金曜日）のように、空白で区切って書きます。空欄はこの地区では収集なしです。";

// A town with 20 areas and a dozen categories: each list pages and has its own filter box (listView).
const editButton = (what, row, onEdit) => h("button", { type: "button", class: "secondary", "aria-label": `${what}「${row.label || row.name}」を編集`,
  onclick: () => onEdit(row) }, "編集");

// The categories with their items count; 「編集」 opens categoryForm.
export function categoriesTable(categories, editable, onEdit) {
  return listView({ rows: categories, name: "分別", placeholder: "分別・補足・出し方で絞り込み", pageSize: 10,
    searchKeys: ["label", "sublabel", "description"], caption: `分別と出し方（description.csv、${categories.length}件）`,
    columns: [{ key: "label", label: "分別", sort: true }, { key: "sublabel", label: "補足", render: (c) => c.sublabel || "—" },
      { key: "description", label: "出し方", render: (c) => c.description || "（説明なし）" }, { key: "items", label: "品目数", sort: true },
      ...(editable ? [{ key: "edit", label: "操作", render: (c) => editButton("分別", c, onEdit) }] : [])] });
}

export function categoryForm(main, ctx, category, done) {
  const c = category || { label: "", sublabel: "", description: "", items: 0 };
  const label = h("input", { name: "label", value: c.label, maxlength: 100, required: true, autocomplete: "off" });
  const sublabel = h("input", { name: "sublabel", value: c.sublabel, maxlength: 200, autocomplete: "off" });
  const description = h("textarea", { name: "description", rows: 4, maxlength: 2000 }, c.description);
  const form = h("form", { class: "editor", novalidate: true, "aria-label": "分別の編集" },
    field("分別の名前", label, category ? `名前を変えると、この分別の品目（${c.items}件）と各地区の収集日も新しい名前に付け替えます。` : "例: 燃やすごみ"),
    field("補足（どんなごみか）", sublabel, "例: 生ごみ・紙くず・布くずなど"),
    field("出し方（住民への説明）", description, "LINE の回答にそのまま出ます。です・ます調で書いてください。例: 指定袋に入れて、収集日の朝8時30分までに出してください。"),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "secondary", onclick: done }, "一覧に戻る"),
      h("button", { type: "submit" }, "保存する"),
      category ? h("button", { type: "button", class: "danger", onclick: remove }, "削除") : null));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault(); clearErrors(form);
    if (!label.value.trim()) { showError(form, { field: "label", message: "分別の名前を入力してください。" }); return; }
    const body = { label: label.value.trim(), sublabel: sublabel.value.trim(), description: description.value.trim() };
    try {
      const out = category ? await api("PATCH", `/garbage/categories/${encodeURIComponent(c.label)}`, body)
        : await api("POST", "/garbage/categories", body);
      toast(`分別「${out.label}」を保存しました。数秒でボットの回答に反映されます。`);
      await done();
    } catch (err) { showError(form, err); }
  });
  async function remove() {
    if (!(await confirmAction(`分別「${c.label}」を削除します。各地区の収集日からも消えます。よろしいですか。`, "削除する"))) return;
    try { await api("DELETE", `/garbage/categories/${encodeURIComponent(c.label)}`); toast("分別を削除しました。"); await done(); }
    catch (err) { showError(form, err); }
  }
  main.replaceChildren(h("h1", {}, ctx.title), h("h2", {}, category ? `分別「${c.label}」の編集` : "分別の追加"), form);
  label.focus();
}

// The areas, each with its days in words (毎週 月・木曜日) and as written (月 木); the filter finds an area by
// its name or centre, or by a category or day it is collected on (「水」「資源」).
export function areasTable(data, editable, onEdit) {
  const rows = data.areas.map((a) => ({ ...a, daysText: a.days.map((d) => `${d.category} ${d.meaning || ""} ${d.rules}`).join(" ") }));
  return listView({ rows, name: "地区", placeholder: "地区・センター・分別・曜日で絞り込み", pageSize: 10,
    searchKeys: ["name", "center", "daysText"], caption: `収集地区と分別ごとの収集日（area_days.csv、${rows.length}件）`,
    columns: [{ key: "name", label: "地区", sort: true }, { key: "center", label: "センター", sort: true, render: (a) => a.center || "—" },
      { key: "days", label: "収集日", render: (a) => (a.days.length ? h("ul", { class: "area-days" },
        a.days.map((d) => h("li", {}, `${d.category}: ${d.meaning || d.rules}（${d.rules}）`))) : "収集日なし") },
      ...(editable ? [{ key: "edit", label: "操作", render: (a) => editButton("地区", a, onEdit) }] : [])] });
}

export function areaForm(main, ctx, area, categories, done) {
  const a = area || { name: "", center: "", days: [] };
  const rules = Object.fromEntries(a.days.map((d) => [d.category, d.rules]));
  const name = h("input", { name: "name", value: a.name, maxlength: 100, required: true, autocomplete: "off" });
  const center = h("input", { name: "center", value: a.center, maxlength: 100, autocomplete: "off" });
  const inputs = categories.map((c) => [c, h("input", { name: `days.${c}`, value: rules[c] || "", maxlength: 200,
    autocomplete: "off", "aria-describedby": "days-hint" })]);
  const form = h("form", { class: "editor", novalidate: true, "aria-label": "収集地区の編集" },
    field("地区の名前", name, "LINE で住民が答える地区の名前です。例: 本町"),
    field("センター", center, "年末年始などの休止期間（center.csv）を決める収集センターの名前。なければ空欄。"),
    h("fieldset", {}, h("legend", {}, "分別ごとの収集日"), h("p", { class: "hint", id: "days-hint" }, DAYS_HINT),
      inputs.map(([c, input]) => field(c, input))),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "secondary", onclick: done }, "一覧に戻る"),
      h("button", { type: "submit" }, "保存する"),
      area ? h("button", { type: "button", class: "danger", onclick: remove }, "削除") : null));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault(); clearErrors(form);
    if (!name.value.trim()) { showError(form, { field: "name", message: "地区の名前を入力してください。" }); return; }
    const days = Object.fromEntries(inputs.map(([c, input]) => [c, input.value.trim()]).filter(([, v]) => area || v));
    try {
      const body = { name: name.value.trim(), center: center.value.trim(), days };
      const out = area ? await api("PATCH", `/garbage/areas/${encodeURIComponent(a.name)}`, body)
        : await api("POST", "/garbage/areas", body);
      toast(`地区「${out.name}」の収集日を保存しました。数秒でボットの回答に反映されます。`);
      await done();
    } catch (err) { showError(form, err); }
  });
  async function remove() {
    if (!(await confirmAction(`地区「${a.name}」を削除します。この地区を登録した住民には収集日を案内できなくなります。よろしいですか。`, "削除する"))) return;
    try { await api("DELETE", `/garbage/areas/${encodeURIComponent(a.name)}`); toast("地区を削除しました。"); await done(); }
    catch (err) { showError(form, err); }
  }
  main.replaceChildren(h("h1", {}, ctx.title), h("h2", {}, area ? `地区「${a.name}」の収集日` : "収集地区の追加"), form);
  name.focus();
}
