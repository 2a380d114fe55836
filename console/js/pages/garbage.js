// ごみ分別辞書: items (name, category, notes, reading, other names) to search and edit, categories,
// 5374 CSV import (target.csv / description.csv / area_days.csv, UTF-8 or Shift_JIS) and export, and
// 「品目を試す」 — what the bot answers for a word. Changes reach the bot in seconds, without a restart.
// API calls: GET /garbage/items?q=&category=, GET /garbage/categories, POST /garbage/items,
// PATCH|DELETE /garbage/items/{id}, POST /garbage/import (multipart), GET /garbage/export?file=, GET /garbage/try?q=;
// categories and collection areas and days as forms: garbage-areas.js.
import { api, download } from "../api.js";
import { h, field, listView, sectionNav, showError, clearErrors, toast, confirmAction } from "../ui.js";
import { lines, upload } from "./content-common.js";
import { tryBox } from "./faq.js";
import { areaForm, areasTable, categoriesTable, categoryForm } from "./garbage-areas.js";

const OUTCOME = { confident: "この品目で答えます", ambiguous: "候補を示します", none: "見つかりません" };

export default async function garbagePage(main, ctx) {
  const editable = ctx.can("garbage.edit");
  const filter = { q: "", category: "" };

  async function tryItem(q) {
    const r = await api("GET", `/garbage/try?q=${encodeURIComponent(q)}`);
    if (!r.best) return [h("p", {}, `結果: ${OUTCOME.none}`)];
    const it = r.best.item;
    return [
      h("p", { "data-testid": "garbage-try-outcome" }, `結果: ${OUTCOME[r.outcome] || r.outcome} — 「${it.name}」は${it.category}（一致: ${r.best.matched}、スコア ${r.best.score.toFixed(2)}）`),
      it.notes ? h("p", {}, `注意: ${it.notes}`) : null,
      r.description ? h("p", { class: "hint" }, `出し方: ${r.description}`) : null,
      r.alternatives.length ? h("p", { class: "hint" }, `ほかの候補: ${r.alternatives.map((a) => `${a.item.name}（${a.item.category}）`).join("、")}`) : null,
    ].filter(Boolean);
  }

  function importForm() {
    const target = h("input", { type: "file", name: "target", accept: ".csv,text/csv" });
    const description = h("input", { type: "file", name: "description", accept: ".csv,text/csv" });
    const areaDays = h("input", { type: "file", name: "area_days", accept: ".csv,text/csv" });
    const mode = h("select", { name: "mode" }, h("option", { value: "replace" }, "置き換える（辞書をこのファイルの内容にする）"),
      h("option", { value: "merge" }, "追加・更新する（同じ品目名は更新）"));
    const result = h("div", { "aria-live": "polite" });
    const form = h("form", { class: "card", "aria-label": "5374 形式の取り込み", novalidate: true },
      h("p", { class: "hint" }, "5374.jp の形式の CSV をそのまま取り込めます（UTF-8・Shift_JIS、見出しは英語でも日本語でも可）。"),
      field("target.csv（品目、必須）", target), field("description.csv（分別の説明）", description),
      field("area_days.csv（地区と収集日）", areaDays), field("取り込み方", mode),
      h("button", { type: "submit" }, "取り込む"), result);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      if (!target.files.length) { showError(form, { field: "target", message: "target.csv を選んでください。" }); return; }
      if (mode.value === "replace" && !(await confirmAction("今の辞書を、選んだファイルの内容に置き換えます。よろしいですか。", "置き換える"))) return;
      const data = new FormData();
      data.append("target", target.files[0]);
      if (description.files.length) data.append("description", description.files[0]);
      if (areaDays.files.length) data.append("area_days", areaDays.files[0]);
      data.append("mode", mode.value);
      try {
        const r = await upload("/garbage/import", data);
        toast(`取り込みました（品目 ${r.items_total}件）。数秒でボットの回答に反映されます。`);
        const problems = (list, title) => (list.length ? [h("h3", {}, `${title}（${list.length}件）`),
          h("ul", {}, list.map((p) => h("li", {}, `${p.file} ${p.line ? `${p.line}行目` : ""}: ${p.message}`)))] : []);
        result.replaceChildren(h("p", { role: "status" }, `追加 ${r.items_added}件・更新 ${r.items_updated}件・品目の合計 ${r.items_total}件・分別 ${r.categories_total}件${r.areas === null ? "" : `・地区 ${r.areas}件`}`),
          ...problems(r.warnings, "お知らせ"), ...problems(r.errors, "取り込めなかった行"));
        await refreshList();
      } catch (err) { showError(form, err); }
    });
    return form;
  }

  const listBox = h("div");
  async function refreshList() {
    const [items, categories, areas] = await Promise.all([
      api("GET", `/garbage/items?${new URLSearchParams({ ...filter, limit: "1000" })}`), api("GET", "/garbage/categories"),
      api("GET", "/garbage/areas")]);
    const q = h("input", { name: "q", type: "search", value: filter.q, maxlength: 200, autocomplete: "off" });
    const cat = h("select", { name: "category" }, h("option", { value: "" }, "すべて"),
      categories.map((c) => h("option", { value: c.label, selected: filter.category === c.label }, `${c.label}（${c.items}）`)));
    const search = h("form", { class: "toolbar", role: "search", "aria-label": "品目の検索" },
      field("品目・ふりがな・別名で検索", q), field("分別", cat), h("button", { type: "submit" }, "検索"));
    search.addEventListener("submit", (ev) => { ev.preventDefault(); filter.q = q.value.trim(); filter.category = cat.value; refreshList(); });
    const columns = [
      { key: "name", label: "品目", sort: true }, { key: "category", label: "分別", sort: true },
      { key: "notes", label: "注意点" }, { key: "furigana", label: "ふりがな", sort: true },
      { key: "synonyms", label: "別名", render: (r) => r.synonyms.join("、") },
      { key: "actions", label: "操作", render: (r) => h("button", { type: "button", class: "secondary",
        "aria-label": `「${r.name}」を${editable ? "編集" : "見る"}`, onclick: () => edit(r, categories) }, editable ? "編集" : "見る") },
    ];
    listBox.replaceChildren(search,
      editable ? h("p", {}, h("button", { type: "button", onclick: () => edit(null, categories) }, "品目を追加する")) : null,
      listView({ rows: items.items, columns, searchKeys: ["name", "category", "furigana"], caption: `品目（${items.total}件）`,
        name: "表示中の品目", placeholder: "表示中の品目をさらに絞り込み" }),
      h("h2", { id: "garbage-categories", tabindex: "-1" }, "分別"),
      editable ? h("p", {}, h("button", { type: "button", onclick: () => categoryForm(main, ctx, null, showAll) }, "分別を追加する")) : null,
      categoriesTable(categories, editable, (c) => categoryForm(main, ctx, c, showAll)),
      h("h2", { id: "garbage-areas", tabindex: "-1" }, "収集地区と収集日"),
      h("p", { class: "hint" }, "住民が登録した地区の収集日を、LINE で案内します。"),
      editable ? h("p", {}, h("button", { type: "button", onclick: () => areaForm(main, ctx, null, areas.categories, showAll) }, "地区を追加する")) : null,
      areasTable(areas, editable, (a) => areaForm(main, ctx, a, areas.categories, showAll)));
  }

  async function showAll() {
    main.replaceChildren(...[h("h1", {}, ctx.title),
      h("p", { class: "hint" }, "品目を直すと、数秒で LINE の「ごみの出し方」の回答に反映されます（再起動は不要です）。"),
      sectionNav("このページの内容", "#/garbage", [["garbage-csv", "5374 形式の CSV"], ["garbage-items", "品目の一覧"],
        ["garbage-categories", "分別"], ["garbage-areas", "収集地区と収集日"]]),
      tryBox(ctx, { label: "品目を試す", placeholder: "例: ペットボトル", run: tryItem }),
      h("h2", { id: "garbage-csv", tabindex: "-1" }, "5374 形式の CSV"),
      h("div", { class: "row-actions" }, ["target.csv", "description.csv", "area_days.csv"].map((f) =>
        h("button", { type: "button", class: "secondary", onclick: () => download(`/garbage/export?file=${f}`, f) }, `${f} を保存`))),
      editable ? importForm() : null,
      h("h2", { id: "garbage-items", tabindex: "-1" }, "品目の一覧"), listBox].filter(Boolean));
    await refreshList();
  }

  function edit(item, categories) {
    const it = item || { id: null, name: "", category: categories[0]?.label || "", notes: "", furigana: "", synonyms: [] };
    const ro = !editable;
    const name = h("input", { name: "name", value: it.name, maxlength: 200, required: true, readonly: ro });
    const listId = "garbage-categories";
    const category = h("input", { name: "category", value: it.category, maxlength: 100, list: listId, required: true, readonly: ro });
    const notes = h("textarea", { name: "notes", rows: 3, maxlength: 2000, readonly: ro }, it.notes);
    const furigana = h("input", { name: "furigana", value: it.furigana, maxlength: 200, readonly: ro });
    const synonyms = h("textarea", { name: "synonyms", rows: 3, readonly: ro }, it.synonyms.join("\n"));
    const form = h("form", { class: "editor", novalidate: true, "aria-label": "品目の編集" },
      field("品目", name), field("分別", category, "一覧にない分別を入れると、説明なしの分別として追加されます。"),
      h("datalist", { id: listId }, categories.map((c) => h("option", { value: c.label }))),
      field("注意点", notes), field("ふりがな", furigana), field("別名・表記ゆれ（1行に1つ）", synonyms),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", onclick: showAll }, "一覧に戻る"),
        editable ? h("button", { type: "submit" }, "保存する") : null,
        editable && it.id ? h("button", { type: "button", class: "danger", onclick: remove }, "削除") : null));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      if (!name.value.trim()) { showError(form, { field: "name", message: "品目を入力してください。" }); return; }
      if (!category.value.trim()) { showError(form, { field: "category", message: "分別を入力してください。" }); return; }
      const body = { name: name.value.trim(), category: category.value.trim(), notes: notes.value.trim(),
        furigana: furigana.value.trim(), synonyms: lines(synonyms.value) };
      try {
        const out = it.id ? await api("PATCH", `/garbage/items/${it.id}`, body) : await api("POST", "/garbage/items", body);
        toast(`「${out.name}」を保存しました。数秒でボットの回答に反映されます。`);
        await showAll();
      } catch (err) { showError(form, err); }
    });
    async function remove() {
      if (!(await confirmAction(`品目「${it.name}」を削除します。よろしいですか。`, "削除する"))) return;
      try { await api("DELETE", `/garbage/items/${it.id}`); toast("削除しました。"); await showAll(); }
      catch (err) { showError(form, err); }
    }
    main.replaceChildren(h("h1", {}, ctx.title), h("h2", {}, item ? `品目の${editable ? "編集" : "内容"}` : "品目の追加"), form);
    name.focus();
  }

  await showAll();
}
