// FAQ（よくある質問）: list and search, edit (question, other phrasings, answer, category, keywords),
// draft and publish, CSV export/import (Excel), and 「質問を試す」 — what the bot finds for a question and why.
// API calls: GET /faq/entries?q=&status=, POST /faq/entries, PATCH|DELETE /faq/entries/{id},
// GET /faq/export, POST /faq/import (text/csv), GET /faq/try?q=.
import { api, download } from "../api.js";
import { h, field, listView, showError, clearErrors, toast, confirmAction } from "../ui.js";
import { byWhom, lines, upload, when } from "./content-common.js";
import { unansweredSection } from "./faq-unanswered.js";

const STATUS = { published: "公開中", draft: "下書き" };
const OUTCOME = { confident: "この FAQ で回答します", ambiguous: "候補として示します（どれか選んでもらいます）", none: "答えられません（担当課の案内になります）" };

export function tryBox(ctx, { label, placeholder, run }) {
  const input = h("input", { name: "q", type: "search", maxlength: 500, placeholder, autocomplete: "off" });
  const out = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "card try-box", role: "search", "aria-label": label },
    h("h2", {}, label), h("div", { class: "toolbar" }, field("試す言葉", input), h("button", { type: "submit" }, "試す")), out);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (!input.value.trim()) { showError(form, { field: "q", message: "試す言葉を入力してください。" }); return; }
    try { out.replaceChildren(...(await run(input.value.trim()))); } catch (err) { showError(form, err); }
  });
  return form;
}

export default async function faqPage(main, ctx) {
  const editable = ctx.can("faq.edit");
  const filter = { q: "", status: "" };

  async function tryFaq(q) {
    const r = await api("GET", `/faq/try?q=${encodeURIComponent(q)}&k=5`);
    const words = r.words.length ? r.words.join("・") : "（なし）";
    if (!r.hits.length) return [h("p", {}, `結果: ${OUTCOME[r.outcome]}`), h("p", { class: "hint" }, `取り出した語: ${words}`)];
    return [
      h("p", { "data-testid": "faq-try-outcome" }, `結果: ${OUTCOME[r.outcome]}（質問の語の一致率 ${Math.round(r.coverage * 100)}%）`),
      h("p", { class: "hint" }, `質問から取り出した語: ${words}`),
      h("div", { class: "table-wrap" }, h("table", {}, h("caption", {}, "見つかった FAQ（順位順）"),
        h("thead", {}, h("tr", {}, ["順位", "FAQ", "総合スコア", "語の一致", "意味の近さ", "共通する語"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, r.hits.map((x, i) => h("tr", {},
          h("td", {}, String(i + 1)), h("td", {}, `${x.entry_id} ${x.question}`), h("td", {}, x.score.toFixed(3)),
          h("td", {}, x.lexical.toFixed(2)), h("td", {}, x.dense === null ? "—" : x.dense.toFixed(3)),
          h("td", {}, x.words.join("・") || "—")))))),
    ];
  }

  async function showAll() {
    const params = new URLSearchParams(filter);
    const rows = await api("GET", `/faq/entries?${params}`);
    const q = h("input", { name: "q", type: "search", value: filter.q, maxlength: 200, autocomplete: "off" });
    const status = h("select", { name: "status" }, [["", "すべて"], ["published", "公開中"], ["draft", "下書き"]].map(([v, l]) =>
      h("option", { value: v, selected: filter.status === v }, l)));
    const search = h("form", { class: "toolbar", role: "search", "aria-label": "FAQ の検索" },
      field("質問・回答・キーワードで検索", q), field("状態", status), h("button", { type: "submit" }, "検索"));
    search.addEventListener("submit", (ev) => { ev.preventDefault(); filter.q = q.value.trim(); filter.status = status.value; showAll(); });
    const columns = [
      { key: "id", label: "ID", sort: true },
      { key: "question", label: "質問", sort: true },
      { key: "category", label: "分類", sort: true },
      { key: "status", label: "状態", sort: true, render: (r) => STATUS[r.status] },
      { key: "updated_at", label: "更新", sort: true, render: (r) => `${when(r.updated_at)} ${byWhom(r.updated_by)}` },
      { key: "actions", label: "操作", render: (r) => h("button", { type: "button", class: "secondary",
        "aria-label": `「${r.question}」を${editable ? "編集" : "見る"}`, onclick: () => edit(r) }, editable ? "編集" : "見る") },
    ];
    const file = h("input", { type: "file", name: "csv", accept: ".csv,text/csv" });
    const importForm = h("form", { class: "toolbar", "aria-label": "CSV の取り込み" }, field("CSV ファイル（UTF-8 か Shift_JIS）", file,
      "列: id, question, alternatives, answer, category, keywords, status。ID が同じ行は変更、ID が空か新しい行は追加します。"),
    h("button", { type: "submit", class: "secondary" }, "CSV を取り込む"));
    const importResult = h("div", { "aria-live": "polite" });
    importForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(importForm);
      if (!file.files.length) { showError(importForm, { field: "csv", message: "CSV ファイルを選んでください。" }); return; }
      try {
        const r = await upload("/faq/import", file.files[0], "text/csv");
        toast(`取り込みました（追加 ${r.created}件・変更 ${r.updated}件・変更なし ${r.unchanged}件）。`);
        await showAll();
        main.querySelector("[data-import-result]").replaceChildren(
          h("p", {}, `追加 ${r.created}件・変更 ${r.updated}件・変更なし ${r.unchanged}件・エラー ${r.errors.length}件`),
          r.errors.length ? h("ul", {}, r.errors.map((e) => h("li", {}, `${e.line}行目: ${e.message}`))) : null);
      } catch (err) { showError(importForm, err); }
    });
    importResult.dataset.importResult = "";
    main.replaceChildren(...[h("h1", {}, ctx.title),
      h("p", { class: "hint" }, "公開中の FAQ は、保存すると数秒で LINE とホームページの自動応答に反映されます（再起動は不要です）。下書きは応答に使われません。"),
      tryBox(ctx, { label: "質問を試す", placeholder: "例: 住民票はどこで取れますか", run: tryFaq }),
      await unansweredSection(ctx, showAll),
      h("h2", {}, "FAQ の一覧"),
      search,
      h("div", { class: "row-actions" },
        editable ? h("button", { type: "button", onclick: () => edit(null) }, "新しい FAQ を作る") : null,
        h("button", { type: "button", class: "secondary", onclick: () => download(`/faq/export?${params}`, "faq.csv") }, "CSV で保存（Excel 用）")),
      listView({ rows, columns, searchKeys: ["id", "question", "category"], caption: `FAQ（${rows.length}件）` }),
      editable ? h("h2", {}, "CSV の取り込み") : null, editable ? importForm : null, importResult].filter(Boolean));
  }

  function edit(entry) {
    const e = entry || { id: null, question: "", alternatives: [], answer: "", category: "", keywords: [], status: "draft" };
    const ro = !editable;
    const question = h("input", { name: "question", value: e.question, maxlength: 500, required: true, readonly: ro });
    const alternatives = h("textarea", { name: "alternatives", rows: 4, readonly: ro }, e.alternatives.join("\n"));
    const answer = h("textarea", { name: "answer", rows: 6, maxlength: 5000, readonly: ro }, e.answer);
    const category = h("input", { name: "category", value: e.category, maxlength: 100, readonly: ro });
    const keywords = h("textarea", { name: "keywords", rows: 2, readonly: ro }, e.keywords.join("\n"));
    const form = h("form", { class: "editor", novalidate: true, "aria-label": "FAQ の編集" },
      h("p", {}, `状態: ${STATUS[e.status]}${e.id ? `（${e.id}）` : "（新規）"}`),
      field("質問", question, "利用者がよく使う聞き方で書いてください。"),
      field("別の聞き方（1行に1つ）", alternatives, "同じ意味の言い換えを足すほど、見つかりやすくなります。"),
      field("回答", answer, "URL はそのままリンクになります。"),
      field("分類", category), field("キーワード（1行に1つ）", keywords),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", onclick: showAll }, "一覧に戻る"),
        editable ? h("button", { type: "button", class: "secondary", onclick: () => save("draft") }, e.status === "published" ? "公開をやめて下書きに戻す" : "下書き保存") : null,
        editable ? h("button", { type: "button", onclick: () => save("published") }, e.status === "published" ? "保存して公開" : "公開する") : null,
        editable && e.id ? h("button", { type: "button", class: "danger", onclick: remove }, "削除") : null));
    async function save(status) {
      clearErrors(form);
      if (!question.value.trim()) { showError(form, { field: "question", message: "質問を入力してください。" }); return; }
      const body = { question: question.value.trim(), alternatives: lines(alternatives.value), answer: answer.value.trim(),
        category: category.value.trim(), keywords: lines(keywords.value), status };
      try {
        const out = e.id ? await api("PATCH", `/faq/entries/${encodeURIComponent(e.id)}`, body) : await api("POST", "/faq/entries", body);
        toast(status === "published" ? `「${out.question}」を公開しました。数秒で自動応答に反映されます。` : `「${out.question}」を下書きとして保存しました。`);
        await showAll();
      } catch (err) { showError(form, err); }
    }
    async function remove() {
      if (!(await confirmAction(`FAQ「${e.question}」を削除します。元に戻せません。よろしいですか。`, "削除する"))) return;
      try { await api("DELETE", `/faq/entries/${encodeURIComponent(e.id)}`); toast("削除しました。"); await showAll(); }
      catch (err) { showError(form, err); }
    }
    main.replaceChildren(h("h1", {}, ctx.title), h("h2", {}, entry ? `FAQ の${editable ? "編集" : "内容"}` : "新しい FAQ"), form);
    question.focus();
  }

  await showAll();
}
