// 運用レポート (issue #23; 小郡市 spec §(4) j): the finished 届書 of a period counted by day, month, hour,
// document read, kind, origin town and 担当課, with the mean reception time (作成 → 完了); printable on A4
// as it is shown, and as CSV.
import { api, download } from "../api.js";
import { h, field, showError, clearErrors } from "../ui.js";

const DOCS = { tenshutsu: "転出証明書", zairyu: "在留カード等", menkyo: "運転免許証", mynumber: "マイナンバーカード" };
const sourceLabel = (s) => (s === "qr" ? "二次元コード（事前申請）" : s === "typed" ? "手入力" : s.startsWith("ocr:") ? `OCR: ${DOCS[s.slice(4)] || s.slice(4)}` : s);
// today in Japan time, as the report counts (whatever the terminal's clock zone is)
const tokyoToday = () => new Intl.DateTimeFormat("sv-SE", { timeZone: "Asia/Tokyo" }).format(new Date());
const GROUPS = [["department", "担当課別"], ["source", "読取帳票別"], ["kind", "届出の種類別"], ["origin", "転入前の市区町村別"],
  ["monthly", "月別"], ["hourly", "時間帯別"], ["daily", "日別"]];

function table(key, caption, rows) {
  const dept = key === "department";
  const heads = [caption.replace(/別$/, ""), "件数", ...(dept ? ["届出", "関連申請書"] : []), "平均受付時間"];
  return h("table", { class: "monthly-table" }, h("caption", {}, caption),
    h("thead", {}, h("tr", {}, heads.map((t, i) => h("th", { scope: "col", class: i ? "num" : null }, t)))),
    h("tbody", {}, rows.length ? rows.map((r) => h("tr", {}, h("th", { scope: "row" }, key === "source" ? sourceLabel(r.key) : r.key),
      h("td", { class: "num" }, `${r.count}件`), dept ? [h("td", { class: "num" }, `${r.todoke}件`), h("td", { class: "num" }, `${r.related}件`)] : null,
      h("td", { class: "num" }, `${r.mean_minutes}分`)))
      : h("tr", {}, h("td", { colspan: String(heads.length) }, "該当なし"))));
}

export default async function counterReport(main, ctx) {
  const today = tokyoToday();
  const since = h("input", { type: "date", name: "since", value: `${today.slice(0, 8)}01` });
  const until = h("input", { type: "date", name: "until", value: today });
  const form = h("form", { novalidate: true, class: "toolbar no-print" }, field("受付日（から）", since), field("受付日（まで）", until),
    h("button", { type: "submit" }, "集計する"),
    h("button", { type: "button", class: "secondary", onclick: () => window.print() }, "印刷する（A4）"),
    h("button", { type: "button", class: "secondary", onclick: () => download(`/counter/report?${params("csv")}`, `counter-report-${since.value}-${until.value}.csv`)
      .catch((err) => showError(form, err)) }, "CSV を保存"));
  const sheet = h("article", { class: "print-sheet monthly-sheet", "aria-labelledby": "cr-title" });
  main.replaceChildren(h("h1", { class: "screen-only" }, ctx.title),
    h("p", { class: "hint no-print" }, "完了した届書を受付日で数えます。受付時間は届書を作ってから完了にするまでの時間です。"
      + "担当課別は、届出の種類と、その届書から作った関連申請書を担当する課ごとの件数です。"), form, sheet);
  function params(format) {
    const p = new URLSearchParams({ format });
    if (since.value) p.set("since", since.value);
    if (until.value) p.set("until", until.value);
    return p;
  }
  async function show() {
    clearErrors(form);
    let figures;
    try { figures = await api("GET", `/counter/report?${params("json")}`); } catch (err) { showError(form, err); return; }
    const total = figures.monthly.reduce((n, r) => n + r.count, 0);
    const minutes = total ? (figures.monthly.reduce((n, r) => n + r.count * r.mean_minutes, 0) / total).toFixed(1) : "―";
    sheet.replaceChildren(
      h("div", { class: "monthly-head" }, h("h2", { id: "cr-title" }, "書かない窓口 運用レポート"),
        h("p", {}, `受付日 ${since.value || "（はじめ）"} 〜 ${until.value || "（いまで）"}`)),
      h("ul", { class: "monthly-kpis" }, h("li", {}, h("span", {}, "完了した届書"), h("strong", {}, `${total}件`)),
        h("li", {}, h("span", {}, "平均受付時間"), h("strong", {}, `${minutes}分`))),
      h("div", { class: "report-grid" }, GROUPS.map(([key, caption]) => table(key, caption, figures[key] || []))));
  }
  form.addEventListener("submit", (ev) => { ev.preventDefault(); show(); });
  await show();
}
