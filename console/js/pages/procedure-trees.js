// 手続きナビの編集: each life event's questions, conditions and results as the YAML staff already know
// from content/<town>/procedures/events/, with line numbers, the loader's problems listed by line (a click
// selects the line), the questions and results as a tree, every path through the questions as a table,
// and 「公開する」 — the 手続きナビ page and the LINE talk use the published tree within seconds.
// API calls: GET /procedures/events, GET /procedures/events/{code}, PUT /procedures/events/{code}/draft,
// POST /procedures/events/{code}/publish, DELETE /procedures/events/{code}, GET /procedures/events/{code}/preview?which=&offset=&limit=,
// GET /procedures/events/{code}/export.
import { api, download } from "../api.js";
import { h, toast, confirmAction } from "../ui.js";
import { when } from "./content-common.js";

const PAGE = 100;

function stylesheet() {
  if (document.querySelector('link[data-page="procedure-trees"]')) return;
  document.head.append(h("link", { rel: "stylesheet", href: "/admin/css/procedure-trees.css", "data-page": "procedure-trees" }));
}

// questions[0].options[1].then[0].text → 「1問目・選択肢2・続きの質問1・text」: where in the tree, in words
export function where(path) {
  if (!path) return "全体";
  const names = { questions: (i) => `${i}問目`, options: (i) => `選択肢${i}`, then: (i) => `続きの質問${i}`,
    procedures: (i) => `手続き${i}`, bring: (i) => `持ち物${i}`, notes: (i) => `注意${i}`, addresses: (i) => `住所${i}` };
  return path.split(".").map((part) => {
    const m = part.match(/^([a-z_]+)\[(\d+)\]$/);
    return m && names[m[1]] ? names[m[1]](Number(m[2]) + 1) : part;
  }).join("・");
}

function status(e) {
  if (!e.published) return h("span", { class: "tree-status-draft" }, "未公開（下書きのみ）");
  return e.draft_differs ? h("span", { class: "tree-status-draft" }, "公開中・未公開の下書きあり") : "公開中";
}

export default async function procedureTrees(main, ctx) {
  stylesheet();
  main.querySelector("p.hint")?.remove();  // the shell's 「読み込み中…」
  const editable = ctx.can("procedures.edit");
  const listBox = h("section", { "aria-labelledby": "trees-list-h" });
  const editBox = h("section", { "aria-labelledby": "trees-edit-h", hidden: true });
  main.append(
    h("p", { class: "hint" }, "ライフイベント（転入・出生など）ごとの質問・選択肢・条件・案内する手続きを編集します。",
      "「下書きを保存して確認」で誤りと、質問のたどり方ごとの結果を確かめてから「公開する」と、数秒で手続きナビのページと LINE に反映されます。"),
    listBox, editBox);

  async function showList() {
    const events = await api("GET", "/procedures/events");
    const by = (name) => (name === "content" ? "初期データ" : name || "—");
    const rows = events.map((e) => h("tr", {},
      h("td", {}, e.title), h("td", {}, h("code", {}, e.code)), h("td", {}, status(e)),
      h("td", {}, e.published_at ? `${when(e.published_at)}（${by(e.published_by)}）` : "—"),
      h("td", {}, `${when(e.updated_at)}（${by(e.updated_by)}）`),
      h("td", {}, h("button", { type: "button", class: "secondary", "aria-label": `「${e.title}」を${editable ? "編集" : "見る"}`,
        onclick: () => openEvent(e.code) }, editable ? "編集" : "見る"))));
    listBox.replaceChildren(h("h2", { id: "trees-list-h" }, "ライフイベント"),
      h("table", { class: "list tree-list" }, h("caption", { class: "hint" }, `${events.length}件`),
        h("thead", {}, h("tr", {}, ["名前", "コード", "状態", "公開", "最終更新", "操作"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows)));
  }

  function problemsList(problems, jump) {
    if (!problems.length) return h("p", { role: "status", "data-testid": "tree-ok" }, "誤りはありません。公開できます。");
    return h("div", { role: "alert" },
      h("h3", {}, `誤りが${problems.length}件あります（直すまで公開できません）`),
      h("ul", { class: "tree-problems", "data-testid": "tree-problems" }, problems.map((p) => h("li", {},
        p.line ? h("button", { type: "button", class: "secondary", onclick: () => jump(p.line) }, `${p.line}行目`) : h("span", {}, "（全体）"),
        ` ${where(p.field)}：${p.message} `, p.field ? h("code", { class: "hint" }, p.field) : null))));
  }

  function structureView(s) {
    if (!s) return h("p", { class: "hint" }, "誤りを直すと、質問と手続きの構造がここに表示されます。");
    const question = (q) => h("li", {}, h("strong", {}, q.text), ` （${q.kind === "date" ? "日付" : "選択"}・${q.id}）`,
      q.when ? h("div", { class: "cond" }, `聞く条件: ${q.when}`) : null,
      q.options.length ? h("ul", {}, q.options.map((o) => h("li", {}, `${o.label}（${o.value}）`,
        o.then.length ? h("ul", {}, o.then.map(question)) : null))) : null);
    return h("div", { class: "tree-structure" },
      h("h3", {}, "質問"), h("ol", {}, s.questions.map(question)),
      h("h3", {}, "案内する手続き"), h("ul", {}, s.procedures.map((p) => h("li", {}, `${p.name}（${p.code}）`,
        h("span", { class: "cond" }, p.when ? ` — ${p.when}のとき` : " — いつも")))));
  }

  async function pathsView(code, which, offset, box) {
    const r = await api("GET", `/procedures/events/${code}/preview?${new URLSearchParams({ which, offset, limit: PAGE })}`);
    if (r.problems.length) { box.replaceChildren(h("p", { class: "hint" }, "誤りがあるため、たどり方を表示できません。")); return; }
    const pager = h("div", { class: "toolbar" },
      h("span", {}, `全${r.total}通り${r.truncated ? "（多すぎるため途中まで）" : ""}のうち ${offset + 1}〜${offset + r.paths.length}通り目`),
      offset > 0 ? h("button", { type: "button", class: "secondary", onclick: () => pathsView(code, which, Math.max(0, offset - PAGE), box) }, "前へ") : null,
      offset + PAGE < r.total ? h("button", { type: "button", class: "secondary", onclick: () => pathsView(code, which, offset + PAGE, box) }, "次へ") : null);
    box.replaceChildren(pager, h("table", { class: "list tree-paths", "data-testid": "tree-paths" },
      h("caption", { class: "hint" }, "日付の質問は今日の日付で答えたものとして表示しています。"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "番号"), h("th", { scope: "col" }, "回答"), h("th", { scope: "col" }, "案内される手続き"))),
      h("tbody", {}, r.paths.map((p) => h("tr", {}, h("td", {}, String(p.number)),
        h("td", {}, h("ol", {}, p.answers.map((a) => h("li", {}, `${a.question} → `, h("strong", {}, a.answer))))),
        h("td", {}, p.procedures.length ? h("ul", {}, p.procedures.map((x) => h("li", {}, `${x.name}（${x.counter}）`)))
          : h("span", { class: "hint" }, "手続きはありません")))))));
  }

  async function openEvent(code) {
    let ev = await api("GET", `/procedures/events/${code}`);
    const area = h("textarea", { id: "tree-source", name: "source", spellcheck: "false", autocomplete: "off", wrap: "off",
      readonly: !editable, "aria-describedby": "tree-source-hint" });
    area.value = ev.draft;
    const gutter = h("pre", { class: "gutter", "aria-hidden": "true" });
    let errorLines = new Set();
    const numbers = () => {
      const n = area.value.split("\n").length;
      gutter.replaceChildren(...Array.from({ length: n }, (_, i) => h("span", { class: errorLines.has(i + 1) ? "err" : null }, String(i + 1))));
      area.rows = n + 1;
    };
    area.addEventListener("input", numbers);
    const jump = (line) => {
      const lines = area.value.split("\n");
      const start = lines.slice(0, line - 1).reduce((s, l) => s + l.length + 1, 0);
      area.focus();
      area.setSelectionRange(start, start + (lines[line - 1] || "").length);
      gutter.children[line - 1]?.scrollIntoView({ block: "center" });
    };
    const problemsBox = h("div", { "aria-live": "polite" });
    const structureBox = h("div");
    const pathsBox = h("div");
    const heading = h("h2", { id: "trees-edit-h" });
    const state = h("p");
    const render = (which = "draft") => {
      heading.textContent = `「${ev.title}」の編集`;
      state.replaceChildren("状態: ", status(ev), ev.published_at ? `（公開: ${when(ev.published_at)} ${ev.published_by === "content" ? "初期データ" : ev.published_by}）` : "");
      errorLines = new Set(ev.problems.map((p) => p.line).filter(Boolean));
      numbers();
      problemsBox.replaceChildren(problemsList(ev.problems, jump));
      structureBox.replaceChildren(structureView(ev.structure));
      return pathsView(code, which, 0, pathsBox);
    };
    const save = h("button", { type: "button", onclick: async () => {
      ev = await api("PUT", `/procedures/events/${code}/draft`, { source: area.value });
      toast(ev.problems.length ? `下書きを保存しました。誤りが${ev.problems.length}件あります。` : "下書きを保存しました。誤りはありません。",
        ev.problems.length ? "error" : "ok");
      await render(); await showList();
      if (ev.problems.length) problemsBox.querySelector("button")?.focus();
    } }, "下書きを保存して確認");
    const publish = h("button", { type: "button", onclick: async () => {
      if (area.value !== ev.draft) { toast("先に「下書きを保存して確認」を押してください。", "error"); return; }
      if (!(await confirmAction(`「${ev.title}」の下書きを公開します。数秒で手続きナビのページと LINE に反映されます。よろしいですか。`, "公開する"))) return;
      try {
        ev = await api("POST", `/procedures/events/${code}/publish`);
        toast("公開しました。数秒で手続きナビに反映されます。");
        await render(); await showList();
      } catch (err) { toast(err.message, "error"); }
    } }, "公開する");
    const revert = h("button", { type: "button", class: "secondary", onclick: async () => {
      if (!(await confirmAction("下書きを捨てて、公開中の内容に戻します。よろしいですか。", "戻す"))) return;
      area.value = ev.published_source;
      ev = await api("PUT", `/procedures/events/${code}/draft`, { source: area.value });
      await render(); await showList();
    } }, "公開中の内容に戻す");
    // DELETE /procedures/events/{code}: refused (409) while residents are part-way through it; the message says until when
    const remove = h("button", { type: "button", class: "danger", onclick: async () => {
      const shown = ev.published ? "手続きナビのページと LINE から数秒で消え、" : "";
      if (!(await confirmAction(`ライフイベント「${ev.title}」を削除します。${shown}元に戻せません（YAML を保存しておくと、新しく作り直せます）。よろしいですか。`, "削除する"))) return;
      try {
        await api("DELETE", `/procedures/events/${code}`);
        toast(`「${ev.title}」を削除しました。`);
        editBox.hidden = true; listBox.hidden = false;
        await showList();
        listBox.querySelector("button")?.focus();
      } catch (err) { toast(err.message, "error"); }
    } }, "このライフイベントを削除");
    const which = h("select", { id: "tree-which", onchange: () => pathsView(code, which.value, 0, pathsBox) },
      h("option", { value: "draft" }, "下書き"), h("option", { value: "published" }, "公開中"));
    editBox.hidden = false;
    listBox.hidden = true;
    editBox.replaceChildren(heading, state,
      h("div", { class: "toolbar" }, editable ? [save, publish, revert, remove] : null,
        h("button", { type: "button", class: "secondary", onclick: () => download(`/procedures/events/${code}/export`, ev.file.split("/").pop()) },
          "公開中の YAML をダウンロード"),
        h("button", { type: "button", class: "secondary", onclick: () => { editBox.hidden = true; listBox.hidden = false; listBox.querySelector("button")?.focus(); } }, "一覧に戻る")),
      h("label", { for: "tree-source" }, `YAML（${ev.file}）`),
      h("p", { class: "hint", id: "tree-source-hint" }, "行番号は左端です。誤りの「◯行目」を押すと、その行を選択します。"),
      h("div", { class: "tree-editor" }, gutter, area),
      problemsBox,
      h("details", { open: true }, h("summary", {}, "質問と手続きの構造"), structureBox),
      h("h3", {}, "質問のたどり方ごとの結果"),
      h("div", { class: "field" }, h("label", { for: "tree-which" }, "表示する版"), which),
      pathsBox);
    await render();
    heading.scrollIntoView();
  }

  await showList();
}
