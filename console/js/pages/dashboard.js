// ダッシュボード: /stats/daily, /stats/usage, /stats/unanswered, /stats/line/followers, /stats/line/richmenu-clicks,
// /deliveries/totals and /deliveries/history, /handovers/figures and /handovers/figures/total (9 API calls, in parallel);
// the 防災モード (GET /disaster-mode).
import { api, download } from "../api.js";
import { chart } from "../chart.js";
import { h, field, toast } from "../ui.js";

// A day as the town counts it (Asia/Tokyo), in the API's YYYY-MM-DD form.
const iso = (d) => new Intl.DateTimeFormat("sv-SE", { timeZone: "Asia/Tokyo" }).format(d);

export default async function dashboard(main, ctx) {
  const today = new Date();
  const since = h("input", { type: "date", name: "since", value: iso(new Date(today - 29 * 864e5)) });
  const until = h("input", { type: "date", name: "until", value: iso(today) });
  const body = h("div", { class: "grid", "aria-live": "polite" });
  const form = h("form", { class: "toolbar" }, field("開始日", since), field("終了日", until),
    h("button", { type: "submit" }, "表示"),
    h("button", { type: "button", class: "secondary", onclick: () => csv("daily", "日別の統計") }, "日別の統計をCSVで保存"),
    h("button", { type: "button", class: "secondary", onclick: () => csv("usage", "チャットボットの利用") }, "利用状況をCSVで保存"),
    h("button", { type: "button", class: "secondary", onclick: () => csv("unanswered", "答えられなかった質問") }, "未回答の質問をCSVで保存"));
  const q = () => `since=${since.value}&until=${until.value}`;
  async function csv(name, label) {
    try { await download(`/stats/${name}.csv?${q()}`, `${name}-${since.value}-${until.value}.csv`); toast(`${label}のCSVを保存しました。`); }
    catch (err) { toast(err.message, "error"); }
  }
  async function load() {
    body.replaceChildren(h("p", { class: "hint" }, "集計中…"));
    try {
      const deliveries = ctx.can("deliveries.read");
      const handovers = ctx.can("handovers.answer");
      const [days, usage, unanswered, line, clicks, totals, runs, handoverDays, handoverTotal] = await Promise.all([
        api("GET", `/stats/daily?${q()}`), api("GET", `/stats/usage?${q()}&by=intent`),
        api("GET", `/stats/unanswered?${q()}&limit=20`), api("GET", `/stats/line/followers?day=${until.value}`),
        api("GET", `/stats/line/richmenu-clicks?${q()}`),
        deliveries ? api("GET", `/deliveries/totals?${q()}`) : null,
        deliveries ? api("GET", `/deliveries/history?${q()}&limit=10`) : null,
        handovers ? api("GET", `/handovers/figures?${q()}`) : null,
        handovers ? api("GET", `/handovers/figures/total?${q()}`) : null]);
      render(days, usage, unanswered, line, clicks, totals, runs);
      if (handoverTotal) body.append(handoverCard(handoverDays, handoverTotal));
    } catch (err) {
      body.replaceChildren(h("p", { class: "field-error", role: "alert" }, err.message));
    }
  }
  function render(days, usage, unanswered, line, clicks, totals, runs) {
    const labels = days.map((d) => d.day);
    const col = (k) => days.map((d) => d[k]);
    const last = days[days.length - 1] || {};
    const sum = (k) => days.reduce((a, d) => a + (d[k] || 0), 0);
    const kpi = (label, value) => h("div", { class: "kpi" }, h("span", { class: "kpi-label" }, label), h("strong", {}, value));
    const byName = {};
    usage.forEach((u) => { byName[u.label || u.name] = (byName[u.label || u.name] || 0) + u.count; });
    const ranked = Object.entries(byName).sort((a, b) => b[1] - a[1]).slice(0, 10);
    const top = Math.max(1, ...ranked.map((r) => r[1]));
    body.replaceChildren(
      h("section", { class: "kpis", "aria-label": "期間の合計" },
        kpi("友だち数（最終日）", last.friends ?? 0), kpi("新規友だち", sum("follows")), kpi("ブロック", sum("blocks")),
        kpi("受信メッセージ", sum("messages_in")), kpi("送信メッセージ", sum("messages_out")),
        kpi("わからなかった質問", sum("fallbacks")), kpi("リッチメニュータップ", sum("richmenu_taps"))),
      chart({ title: "友だち数の推移", labels, series: [{ label: "友だち数", values: col("friends") }] }),
      chart({ title: "新規友だち・ブロック", labels, bars: true, series: [{ label: "新規友だち", values: col("follows") }, { label: "ブロック", values: col("blocks") }] }),
      chart({ title: "メッセージ数", labels, bars: true, series: [{ label: "受信", values: col("messages_in") }, { label: "送信", values: col("messages_out") }] }),
      chart({ title: "わからなかった質問の割合", labels, unit: "%", series: [{ label: "割合(%)", values: col("fallback_rate") }] }),
      chart({ title: "リッチメニューのタップ数", labels, bars: true, series: [{ label: "タップ数", values: col("richmenu_taps") }] }),
      h("section", { class: "card" }, h("h2", {}, "チャットボットの利用（意図別・上位10件）"),
        ranked.length ? h("ul", { class: "hbars" }, ranked.map(([n, c]) => h("li", {}, h("span", { class: "name" }, n),
          h("meter", { min: 0, max: top, value: c, "aria-label": `${n} ${c}件` }), h("span", {}, `${c}件`)))) : h("p", {}, "この期間の利用はありません。")),
      h("section", { class: "card" }, h("h2", {}, "答えられなかった質問"),
        unanswered.length ? h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "質問"), h("th", { scope: "col" }, "回数"), h("th", { scope: "col" }, "人数"))),
          h("tbody", {}, unanswered.map((u) => h("tr", {}, h("td", {}, u.text), h("td", {}, u.count), h("td", {}, u.users)))))) : h("p", {}, "この期間にはありません。")),
      totals ? h("section", { class: "card", "data-testid": "delivery-figures" }, h("h2", {}, "配信（期間内）"),
        h("p", {}, `配信 ${totals.runs}回・送信 ${totals.sent}通（成功 ${totals.succeeded}・失敗 ${totals.failed}）・クリック ${totals.clicks}回`),
        runs.length ? h("div", { class: "table-wrap" }, h("table", {}, h("caption", {}, "最近の配信（開封は LINE の統計）"),
          h("thead", {}, h("tr", {}, ["配信", "日付", "送信", "開封"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, runs.map((r) => h("tr", {}, h("td", {}, r.title), h("td", {}, r.date), h("td", {}, r.sent),
            h("td", {}, r.opened ?? (r.open_note || "—")))))))
          : h("p", {}, "この期間の配信はありません。")) : null,
      h("section", { class: "card", "data-testid": "line-figures" }, h("h2", {}, "LINE が数えた数（公開用アカウント）"),
        line.available && line.status !== "ready" ? h("p", {}, `${line.day} の集計は LINE でまだ準備中です（LINE の統計は前日分まで）。`)
          : line.available ? h("p", {}, `${line.day} 時点: 友だち追加 ${line.followers ?? "—"}人、うちブロック ${line.blocks ?? "—"}人、配信が届く人 ${line.targeted_reaches ?? "—"}人`)
          : h("p", {}, line.message || "LINE の集計を取得できませんでした。"),
        clicks.available ? (clicks.items.length ? h("ul", {}, clicks.items.map((c) => h("li", {}, `${c.menu_name ?? ""} ${c.label ?? "（領域不明）"}: ${c.clicks}回`)))
          : h("p", {}, "この期間のリッチメニューのクリックはありません。"))
          : h("p", {}, `リッチメニュー: ${clicks.message || "LINE の集計を取得できませんでした。"}`)));
  }
  form.addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
  // The town's 防災モード at the top (issue #22): since when and why, when it is not 通常.
  const mode = await api("GET", "/disaster-mode").catch(() => null);
  const modeNote = mode ? h("p", { class: `mode-now mode-${mode.mode}`, id: "dashboard-mode", role: "status" },
    `防災モード：${mode.mode_label}` + (mode.mode !== "normal" && mode.history.length
      ? `（${new Date(mode.since).toLocaleString("ja-JP")} から。理由：${mode.history[0].reason}）` : "")) : null;
  main.replaceChildren(h("h1", {}, ctx.title), modeNote, form, body);
  await load();
}

// 有人チャット (issue #17): hand-overs per day, the waiting time to the first staff reply (median,
// 90th percentile, over the whole period), who handled them, satisfaction.
const minutes = (s) => (s === null || s === undefined ? "—" : s < 60 ? `${Math.round(s)}秒` : `${Math.round(s / 60)}分`);

function handoverCard(days, t) {
  const labels = days.map((d) => d.day);
  const handled = Object.entries(t.handled_by).sort((a, b) => b[1] - a[1]);
  return h("section", { class: "card", "data-testid": "handover-figures" }, h("h2", {}, "有人チャット（期間内）"),
    h("p", {}, `受付 ${t.handovers}件（職員が返信 ${t.answered}件）・最初の返信までの待ち時間: 中央値 ${minutes(t.first_reply_p50)}、`
      + `90パーセンタイル ${minutes(t.first_reply_p90)}・満足 ${t.satisfied}件／不満 ${t.dissatisfied}件`),
    t.handovers ? chart({ title: "有人チャットの受付件数", labels, bars: true, series: [{ label: "受付", values: days.map((d) => d.handovers) }] }) : null,
    t.answered ? chart({ title: "最初の返信までの待ち時間（分）", labels, series: [
      { label: "中央値", values: days.map((d) => (d.first_reply_p50 === null ? 0 : Math.round(d.first_reply_p50 / 6) / 10)) },
      { label: "90パーセンタイル", values: days.map((d) => (d.first_reply_p90 === null ? 0 : Math.round(d.first_reply_p90 / 6) / 10)) }] }) : null,
    handled.length ? h("ul", { "aria-label": "担当した職員" }, handled.map(([name, n]) => h("li", {}, `${name}: ${n}件`)))
      : h("p", {}, "この期間に職員が担当した有人チャットはありません。"));
}
