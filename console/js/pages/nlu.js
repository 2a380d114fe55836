// NLU 例文: the intents and their training examples (Rasa YAML in and out), 「再学習」 — a new model trained on
// the examples not held back, scored beside the model in use on the held-back ones; it replaces the model in
// use only if it is not worse, and both figures are shown either way — and 「文を試す」 on the model in use.
// API calls: GET /nlu/intents, GET /nlu/examples?intent=, POST /nlu/examples, DELETE /nlu/examples/{id},
// GET /nlu/export, POST /nlu/import, POST /nlu/retrain, GET /nlu/retrains, GET /nlu/try?q=.
import { api, download } from "../api.js";
import { h, field, listView, showError, clearErrors, toast, confirmAction } from "../ui.js";
import { byWhom, when } from "./content-common.js";
import { tryBox } from "./faq.js";

const pct = (x) => (x === null || x === undefined ? "—" : `${(x * 100).toFixed(1)}%`);
const STATUS = { files: "ファイルから学習", accepted: "採用（使用中のモデルに置き換え）", rejected: "不採用（前のモデルのまま）" };

function figuresTable(r) {
  return h("div", { class: "table-wrap" }, h("table", { "data-testid": "nlu-figures" },
    h("caption", {}, `評価用の例文 ${r.heldout}件での成績`),
    h("thead", {}, h("tr", {}, ["モデル", "正解率", "F1（意図ごとの平均）"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {},
      h("tr", {}, h("th", { scope: "row" }, "新しいモデル"), h("td", {}, pct(r.candidate.accuracy)), h("td", {}, pct(r.candidate.f1))),
      h("tr", {}, h("th", { scope: "row" }, r.current.recreated ? "現在のモデル（評価用の例文を除いて学習し直して測定）" : "現在のモデル"),
        h("td", {}, pct(r.current.accuracy)), h("td", {}, pct(r.current.f1))))));
}

export default async function nluPage(main, ctx) {
  const editable = ctx.can("nlu.edit");
  let lastResult = null;

  async function tryText(q) {
    const r = await api("GET", `/nlu/try?q=${encodeURIComponent(q)}`);
    return [h("p", { "data-testid": "nlu-try-intent" }, `意図: ${r.intent.name}（確からしさ ${pct(r.intent.confidence)}）`),
      h("p", { class: "hint" }, `ほかの候補: ${r.ranking.slice(1, 4).map((x) => `${x.name} ${pct(x.confidence)}`).join("・") || "なし"}`)];
  }

  function resultView(r) {
    const verdict = r.accepted
      ? "新しいモデルは悪くなっていないため、使用中のモデルを置き換えました。数秒ですべての応答に使われます。"
      : "新しいモデルは現在のモデルより成績が下がったため、現在のモデルをそのまま使います。例文を見直してください。";
    return h("section", { class: "card", "aria-labelledby": "nlu-result-title", "data-testid": "nlu-result" },
      h("h2", { id: "nlu-result-title" }, r.accepted ? "再学習の結果: 採用しました" : "再学習の結果: 採用しませんでした"),
      h("p", { role: "status" }, verdict), figuresTable(r),
      h("p", { class: "hint" }, `学習に使った例文 ${r.examples}件（意図 ${r.intents}）・所要 ${r.seconds.toFixed(1)}秒`),
      r.errors.length ? h("details", {}, h("summary", {}, `新しいモデルが間違えた評価用の例文（${r.errors.length}件）`),
        h("ul", {}, r.errors.map((e) => h("li", {}, `「${e.text}」 正解 ${e.gold} → ${e.predicted}`)))) : null);
  }

  async function retrain(button) {
    button.disabled = true;
    button.textContent = "再学習しています…";
    try {
      lastResult = await api("POST", "/nlu/retrain");
      toast(lastResult.accepted ? "新しいモデルに置き換えました。" : "成績が下がったため、現在のモデルのままにしました。", lastResult.accepted ? "ok" : "error");
    } catch (err) {
      toast(err.message || "再学習できませんでした。", "error");
    }
    await showAll();
  }

  async function showAll() {
    const [intents, history] = await Promise.all([api("GET", "/nlu/intents"), api("GET", "/nlu/retrains")]);
    const columns = [
      { key: "intent", label: "意図", sort: true },
      { key: "examples", label: "例文", sort: true },
      { key: "heldout", label: "うち評価用", sort: true },
      { key: "actions", label: "操作", render: (r) => h("button", { type: "button", class: "secondary",
        "aria-label": `意図「${r.intent}」の例文を見る`, onclick: () => showIntent(r.intent) }, "例文を見る") },
    ];
    const historyRows = history.map((r) => ({ ...r, label: STATUS[r.status] }));
    const historyColumns = [
      { key: "created_at", label: "日時", sort: true, render: (r) => `${when(r.created_at)} ${r.created_by}` },
      { key: "label", label: "結果", render: (r) => `${r.label}${r.in_use ? "・使用中" : ""}` },
      { key: "candidate", label: "新しいモデル（正解率／F1）", render: (r) => (r.candidate ? `${pct(r.candidate.accuracy)}／${pct(r.candidate.f1)}` : "—") },
      { key: "current", label: "現在のモデル（正解率／F1）", render: (r) => (r.current ? `${pct(r.current.accuracy)}／${pct(r.current.f1)}` : "—") },
    ];
    const retrainButton = h("button", { type: "button", onclick: (ev) => retrain(ev.currentTarget) }, "再学習する");
    const file = h("input", { type: "file", name: "yaml", accept: ".yml,.yaml,application/yaml,text/yaml" });
    const importForm = h("form", { class: "toolbar", "aria-label": "学習データの取り込み" },
      field("Rasa の YAML ファイル（nlu.yml）", file, "例文・synonym・lookup・regex をすべて置き換えます。応答は再学習が採用されてから変わります。"),
      h("button", { type: "submit", class: "secondary" }, "取り込む"));
    importForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(importForm);
      if (!file.files.length) { showError(importForm, { field: "yaml", message: "YAML ファイルを選んでください。" }); return; }
      try {
        const r = await api("POST", "/nlu/import", { yaml: await file.files[0].text() });
        toast(`取り込みました（意図 ${r.intents}・例文 ${r.examples}件、うち評価用 ${r.heldout}件）。`);
        await showAll();
      } catch (err) { showError(importForm, err); }
    });
    main.replaceChildren(...[h("h1", {}, ctx.title),
      h("p", { class: "hint" }, "利用者の文がどの用件（意図）かを判定するための例文です。例文を直したら「再学習する」を押してください。"
        + "各意図の例文の一部は評価用に取り分けてあり、新しいモデルと現在のモデルをその例文で比べて、悪くならない場合だけ置き換えます。"),
      tryBox(ctx, { label: "文を試す", placeholder: "例: 引っ越しの手続きを知りたい", run: tryText }),
      editable ? h("section", { class: "card", "aria-labelledby": "nlu-retrain-title" },
        h("h2", { id: "nlu-retrain-title" }, "再学習"), h("div", { class: "row-actions" }, retrainButton)) : null,
      lastResult ? resultView(lastResult) : null,
      h("h2", {}, "意図の一覧"),
      h("div", { class: "row-actions" },
        editable ? h("button", { type: "button", onclick: () => showIntent(null) }, "新しい意図に例文を足す") : null,
        h("button", { type: "button", class: "secondary", onclick: () => download("/nlu/export", "nlu.yml") }, "YAML で保存（Rasa 形式）")),
      listView({ rows: intents, columns, searchKeys: ["intent"], caption: `意図（${intents.length}）` }),
      h("h2", {}, "再学習の履歴"),
      listView({ rows: historyRows, columns: historyColumns, caption: `再学習の履歴（${history.length}件）` }),
      editable ? h("h2", {}, "学習データの取り込み") : null, editable ? importForm : null].filter(Boolean));
  }

  async function showIntent(intent) {
    // newest first: what was just added is on the first page
    const rows = intent ? (await api("GET", `/nlu/examples?intent=${encodeURIComponent(intent)}`)).reverse() : [];
    const name = h("input", { name: "intent", value: intent || "", maxlength: 100, required: true, readonly: !!intent });
    const text = h("input", { name: "text", maxlength: 500, required: true, autocomplete: "off" });
    const form = h("form", { class: "editor", novalidate: true, "aria-label": "例文の追加" },
      field("意図", name, intent ? null : "英数字と _ で書きます（例: procedure_nav）。"),
      field("例文", text, "固有表現は [みどり町](place) のように書けます。"),
      h("div", { class: "actions" }, h("button", { type: "submit" }, "例文を足す")));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      if (!name.value.trim()) { showError(form, { field: "intent", message: "意図を入力してください。" }); return; }
      if (!text.value.trim()) { showError(form, { field: "text", message: "例文を入力してください。" }); return; }
      try {
        await api("POST", "/nlu/examples", { intent: name.value.trim(), text: text.value.trim() });
        toast("例文を足しました。再学習すると応答に使われます。");
        await showIntent(name.value.trim());
      } catch (err) { showError(form, err); }
    });
    const columns = [
      { key: "text", label: "例文", sort: true },
      { key: "heldout", label: "用途", sort: true, render: (r) => (r.heldout ? "評価用" : "学習用") },
      { key: "updated_at", label: "更新", sort: true, render: (r) => `${when(r.updated_at)} ${byWhom(r.updated_by)}` },
      ...(editable ? [{ key: "actions", label: "操作", render: (r) => h("button", { type: "button", class: "danger",
        "aria-label": `例文「${r.text}」を削除`, onclick: () => remove(r) }, "削除") }] : []),
    ];
    async function remove(r) {
      if (!(await confirmAction(`例文「${r.text}」を削除します。よろしいですか。`, "削除する"))) return;
      try { await api("DELETE", `/nlu/examples/${r.id}`); toast("削除しました。再学習すると応答に反映されます。"); await showIntent(intent); }
      catch (err) { toast(err.message, "error"); }
    }
    main.replaceChildren(...[h("h1", {}, ctx.title),
      h("h2", {}, intent ? `意図「${intent}」の例文（${rows.length}件）` : "新しい意図に例文を足す"),
      h("div", { class: "row-actions" }, h("button", { type: "button", class: "secondary", onclick: showAll }, "一覧に戻る")),
      editable ? form : null,
      intent ? listView({ rows, columns, searchKeys: ["text"], caption: `意図「${intent}」の例文` }) : null].filter(Boolean));
    (intent ? text : name).focus();
  }

  await showAll();
}
