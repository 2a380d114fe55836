// 月次報告 (issue #16, 国富町 9(3)(オ)⑥): one month on one page, printable on A4 as it is (print
// stylesheet in css/casework.css) and as CSV — GET /stats/monthly and /stats/monthly.csv.
import { api, download } from "../api.js";
import { h, field, toast } from "../ui.js";

const n = (v) => (v === null || v === undefined ? "—" : Number(v).toLocaleString("ja-JP"));
const pct = (v) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(1)}%`);

function previousMonth() {
  const d = new Date(); d.setDate(1); d.setMonth(d.getMonth() - 1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}`;
}

function table(caption, rows, heads = ["項目", "値"]) {
  return h("table", { class: "monthly-table" }, h("caption", {}, caption),
    h("thead", {}, h("tr", {}, heads.map((t, i) => h("th", { scope: "col", class: i ? "num" : null }, t)))),
    h("tbody", {}, rows.length ? rows.map((r) => h("tr", {}, h("th", { scope: "row" }, r[0]), ...r.slice(1).map((v) => h("td", { class: "num" }, v))))
      : h("tr", {}, h("td", { colspan: heads.length }, "この月はありません。"))));
}

export default async function monthly(main, ctx) {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const monthIn = h("input", { type: "month", name: "month", value: params.get("month") || previousMonth() });
  const sheet = h("article", { class: "print-sheet monthly-sheet", "aria-labelledby": "monthly-title" });
  main.replaceChildren(h("h1", { class: "screen-only" }, ctx.title),
    h("div", { class: "toolbar no-print" }, field("対象の月", monthIn),
      h("button", { type: "button", onclick: () => window.print() }, "印刷する（A4）"),
      h("button", { type: "button", class: "secondary", onclick: () => download(`/stats/monthly.csv?month=${monthIn.value}`, `月次報告-${monthIn.value}.csv`)
        .catch((err) => toast(err.message, "error")) }, "CSVで保存")),
    sheet);

  async function render() {
    if (!monthIn.value) return;
    const r = await api("GET", `/stats/monthly?month=${monthIn.value}`);
    const [y, m] = r.month.split("-").map(Number);
    const generated = new Date(r.generated_at);
    // A member limited to some facilities (国富町 表3 no.2 管理施設) gets their facilities' bookings only.
    const scope = r.bookings_facilities ? `管理施設（${r.bookings_facilities.join("・")}）の予約のみ` : null;
    sheet.replaceChildren(
      h("div", { class: "monthly-head" }, h("h2", { id: "monthly-title" }, `LINE 公式アカウント 月次報告　${y}年${m}月`),
        h("p", {}, `集計期間 ${r.since} 〜 ${r.until}（日本時間）　作成 ${generated.toLocaleString("ja-JP")}　${ctx.me.display_name}`)),
      h("ul", { class: "monthly-kpis" },
        [["月末の友だち数", `${n(r.friends_at_end)}人`], ["友だち追加", `${n(r.follows)}人`], ["ブロック", `${n(r.blocks)}人`],
          ["配信", `${n(r.deliveries)}回`], ["答えられなかった割合", pct(r.fallback_rate)], ["通報", `${n(r.reports_received)}件`],
          [scope ? "予約（受付・管理施設）" : "予約（受付）", `${n(r.bookings_made)}件`]].map(([k, v]) => h("li", {}, h("span", {}, k), h("strong", {}, v)))),
      h("div", { class: "monthly-grid" },
        table("友だち", [["月末の友だち数", n(r.friends_at_end)], ["友だち追加", n(r.follows)], ["ブロック", n(r.blocks)],
          ["月末のブロック中", n(r.blocked_at_end)]]),
        table("配信", [["配信回数", n(r.deliveries)], ["届いた通数", n(r.delivered)], ["開封数（LINE の統計）", n(r.opened)],
          ["開封率", r.opened === null || !r.delivered ? "—" : pct(r.opened / r.delivered)], ["クリック数", n(r.clicks)], ["クリックした人", n(r.unique_clicks)]]),
        table("チャットボットの利用", [["受けたメッセージ", n(r.messages_in)], ["送ったメッセージ", n(r.messages_out)],
          ["理解できた", n(r.understood)], ["答えられなかった", n(r.fallbacks)], ["答えられなかった割合", pct(r.fallback_rate)],
          ["1日の利用者数（最大）", n(r.active_users_peak)], ["リッチメニューのタップ", n(r.richmenu_taps)]]),
        table("通報（道路・施設の損傷など）", [["受け付けた通報", n(r.reports_received)], ...r.reports_by_status.map((c) => [`うち いま「${c.label}」`, n(c.count)])]),
        table(scope ? `施設予約（${scope}）` : "施設予約", [["受け付けた予約", n(r.bookings_made)], ["利用日がこの月の予約", n(r.bookings_used)], ["取り消された予約", n(r.bookings_cancelled)]]),
        table("アンケート（フォーム）の回答", r.surveys.map((c) => [c.label, n(c.count)]), ["フォーム", "回答数"])),
      table(`よく聞かれた質問（FAQ で答えた ${n(r.faq_answers)}回のうち上位、答えられなかった質問 ${n(r.unanswered)}件）`,
        r.faq_top.map((f, i) => [`${i + 1}. ${f.question}`, n(f.count), n(f.helpful), n(f.not_helpful)]),
        ["質問", "回数", "役に立った", "役に立たなかった"]),
      h("p", { class: "hint monthly-note" }, "開封数は LINE が集計した数で、20人未満の配信などでは得られません（—）。テスト配信は含みません。",
        scope ? `施設予約の数は${scope}で、ほかの数は町全体です。` : null));
  }
  monthIn.addEventListener("change", render);
  await render();
}
