// 操作ログ・トークログ (issue #16): search and CSV export. What a role without 個人情報の閲覧 sees is
// masked by the API itself (pseudonyms, masked text); the page shows what the API answers.
import { api, download } from "../api.js";
import { h, field, showError, clearErrors, toast } from "../ui.js";

const PAGE = 50;
const DIRECTION = { in: "利用者→ボット", out: "ボット→利用者" };

function when(iso) {
  const d = new Date(iso);
  return `${d.getFullYear()}/${d.getMonth() + 1}/${d.getDate()} ${[d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, "0")).join(":")}`;
}

function snapshot(value) {
  if (value === null || value === undefined) return "";
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 1);
  return text.length > 80 ? h("details", {}, h("summary", {}, `${text.slice(0, 60).replace(/\s+/g, " ")}…`), h("pre", { class: "snapshot" }, text)) : text;
}

// One search section: a form of filters, a result table, paging by offset, a CSV button.
function searchSection({ id, title, path, csv, inputs, columns, hint }) {
  const form = h("form", { class: "toolbar", novalidate: true, "aria-label": `${title}の条件` },
    ...inputs.map(([label, input]) => field(label, input)), h("button", { type: "submit" }, "検索する"),
    h("button", { type: "button", class: "secondary", onclick: async () => {
      try { await download(`${csv}?${params()}`, `${title}-${new Date().toISOString().slice(0, 10)}.csv`); } catch (err) { toast(err.message, "error"); }
    } }, "CSVで保存"));
  const out = h("div", { class: "log-result" });
  let offset = 0;
  function params() {
    const p = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (String(v).trim()) p.set(k, String(v).trim());
    return p;
  }
  async function run() {
    clearErrors(form);
    const p = params(); p.set("limit", String(PAGE)); p.set("offset", String(offset));
    let page;
    try { page = await api("GET", `${path}?${p}`); } catch (err) { showError(form, err); return; }
    const total = page.total;
    out.replaceChildren(h("p", { class: "hint", "aria-live": "polite" }, total !== undefined ? `${total}件` : `${offset + 1}件目から${page.items.length}件`),
      h("div", { class: "table-wrap" }, h("table", { class: "log-table" }, h("caption", {}, title),
        h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c.label)))),
        h("tbody", {}, page.items.length ? page.items.map((row) => h("tr", {}, columns.map((c) => h("td", {}, c.render(row)))))
          : h("tr", {}, h("td", { colspan: columns.length }, "該当する記録はありません。"))))),
      h("div", { class: "pager" },
        h("button", { type: "button", class: "secondary", disabled: offset === 0, onclick: () => { offset = Math.max(0, offset - PAGE); run(); } }, "前へ"),
        h("button", { type: "button", class: "secondary", disabled: total !== undefined ? offset + PAGE >= total : page.items.length < PAGE,
          onclick: () => { offset += PAGE; run(); } }, "次へ")));
  }
  form.addEventListener("submit", (ev) => { ev.preventDefault(); offset = 0; run(); });
  return { section: h("section", { class: "section", "aria-labelledby": id }, h("h2", { id }, title), hint ? h("p", { class: "hint" }, hint) : null, form, out), run };
}

export default async function logs(main, ctx) {
  const parts = [];
  const masked = !ctx.can("personal.view");
  const note = masked ? "個人情報の閲覧権限がないため、利用者は仮名、氏名・電話番号などは伏せて表示されます。" : null;
  if (ctx.can("audit.view")) {
    parts.push(searchSection({ id: "oplog-title", title: "操作ログ", path: "/operation-logs", csv: "/operation-logs.csv", hint: note,
      inputs: [["日付（から）", h("input", { type: "date", name: "since" })], ["日付（まで）", h("input", { type: "date", name: "until" })],
        ["職員のログインID", h("input", { name: "staff_login", maxlength: "64" })],
        ["操作（前方一致、例: reports.）", h("input", { name: "action", maxlength: "80" })]],
      columns: [{ label: "日時", render: (e) => when(e.at) }, { label: "職員", render: (e) => e.staff_login },
        { label: "操作", render: (e) => e.action }, { label: "対象", render: (e) => `${e.target_type}${e.target_id ? ` ${e.target_id}` : ""}` },
        { label: "変更前", render: (e) => snapshot(e.before) }, { label: "変更後", render: (e) => snapshot(e.after) },
        { label: "接続元", render: (e) => e.remote || "" }] }));
  }
  if (ctx.can("talklog.view")) {
    parts.push(searchSection({ id: "talklog-title", title: "トークログ", path: "/talk-logs", csv: "/talk-logs.csv", hint: note,
      inputs: [["日付（から）", h("input", { type: "date", name: "since" })], ["日付（まで）", h("input", { type: "date", name: "until" })],
        ["利用者（LINE ユーザーID か仮名）", h("input", { name: "user", maxlength: "64" })],
        ["向き", h("select", { name: "direction" }, h("option", { value: "" }, "すべて"), ...Object.entries(DIRECTION).map(([v, l]) => h("option", { value: v }, l)))],
        ["発言に含まれる語", h("input", { name: "text", maxlength: "100" })]],
      columns: [{ label: "日時", render: (e) => when(e.at) }, { label: "利用者", render: (e) => e.user || "" },
        { label: "向き", render: (e) => DIRECTION[e.direction] || e.direction }, { label: "種類", render: (e) => e.kind },
        { label: "発言", render: (e) => e.text || "" }, { label: "意図・フロー", render: (e) => [e.intent, e.flow].filter(Boolean).join(" / ") }] }));
  }
  main.replaceChildren(h("h1", {}, ctx.title), ...parts.map((p) => p.section));
  await Promise.all(parts.map((p) => p.run()));
}
