// 配信 (国富町 §9(2)(ア)): the list (search, state filter, paging), a month calendar of scheduled and
// recurring deliveries, results per sending with CSV, and CSV bulk import with errors per row.
// Views are #/deliveries?view=list|calendar|results|import; the editor is delivery-editor.js.
// API calls: list = GET /deliveries (+ GET /segments for names); calendar = GET /deliveries/calendar;
// results = GET /deliveries/history, a row = GET /deliveries/runs/{id}, CSV = GET /deliveries/history.csv;
// import = POST /deliveries/import (the file as it is), template = GET /deliveries/import/template.csv.
import { api, download } from "../api.js";
import { h, field, listView, toast } from "../ui.js";
import { deliveryEditor } from "./delivery-editor.js";

const VIEWS = [["list", "配信一覧"], ["calendar", "カレンダー"], ["results", "配信結果"], ["import", "CSVで一括登録"]];
const STATES = [["", "すべて"], ["draft", "下書き"], ["approval", "承認待ち"], ["scheduled", "予約済み"], ["active", "配信中（繰り返し）"], ["finished", "終了"], ["cancelled", "取り消し"]];
const TARGETS = { all: "友だち全員", segment: "セグメント", test: "テスト用アカウント" };
const when = (iso) => (iso ? new Date(iso).toLocaleString("ja-JP", { timeZone: "Asia/Tokyo", dateStyle: "medium", timeStyle: "short" }) : "—");

export default async function deliveries(main, ctx) {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const view = VIEWS.some(([v]) => v === params.get("view")) ? params.get("view") : "list";
  const canSend = ctx.can("deliveries.send");
  const open = (row) => deliveryEditor(main, ctx, row, () => render());
  const header = () => [h("h1", {}, ctx.title),
    h("nav", { class: "subnav", "aria-label": "配信の画面" }, h("ul", {}, VIEWS.map(([v, l]) =>
      h("li", {}, h("a", { href: `#/deliveries?view=${v}`, "aria-current": v === view ? "page" : null }, l))))),
    canSend ? h("p", {}, h("button", { type: "button", onclick: () => open(null) }, "新しい配信を作る")) : null].filter(Boolean);

  async function render() {
    const page = { list: listPage, calendar: calendarPage, results: resultsPage, import: importPage }[view];
    const shown = location.hash;
    main.replaceChildren(...header(), h("p", { class: "hint" }, "読み込み中…"));
    const content = await page();
    if (location.hash !== shown) return;  // staff moved on while this loaded: the newer view draws itself
    main.replaceChildren(...header(), ...content);
  }

  async function listPage(status = params.get("status") || "") {
    const [rows, segments] = await Promise.all([api("GET", `/deliveries?limit=1000${status ? `&status=${status}` : ""}`), api("GET", "/segments")]);
    const names = Object.fromEntries(segments.map((s) => [s.id, s.name]));
    rows.forEach((r) => { r.audience = r.target === "segment" ? `セグメント「${names[r.segment_id] ?? r.segment_id}」` : TARGETS[r.target]; r.next = r.next_due_at || r.send_at || ""; });
    const filter = h("select", { id: "status-filter" }, STATES.map(([v, l]) => h("option", { value: v, selected: v === status }, l)));
    filter.addEventListener("change", () => { location.hash = `#/deliveries?view=list${filter.value ? `&status=${filter.value}` : ""}`; });
    const columns = [
      { key: "title", label: "タイトル", sort: true },
      { key: "timing_label", label: "種類", sort: true, render: (r) => r.rule_text ? `${r.timing_label}（${r.rule_text}）` : r.timing_label },
      { key: "status_label", label: "状態", sort: true },
      { key: "audience", label: "配信先", sort: true },
      { key: "next", label: "次の配信", sort: true, render: (r) => (["scheduled", "active"].includes(r.status) ? when(r.next) : "—") },
      { key: "updated_at", label: "更新日時", sort: true, render: (r) => when(r.updated_at) },
      { key: "id", label: "操作", render: (r) => h("div", { class: "row-actions" },
        h("button", { type: "button", class: "secondary", onclick: () => open(r), "aria-label": `「${r.title}」${canSend ? "を開く" : "の内容を見る"}` }, canSend ? "開く" : "内容を見る")) },
    ];
    return [h("div", { class: "toolbar" }, field("状態で絞り込み", filter)),
      listView({ rows, columns, searchKeys: ["title", "audience", "rule_text"], caption: "配信" })];
  }

  async function calendarPage() {
    const month = /^\d{4}-\d{2}$/.test(params.get("month") || "") ? params.get("month") : new Date(Date.now() + 9 * 3600e3).toISOString().slice(0, 7);
    const cal = await api("GET", `/deliveries/calendar?month=${month}`);
    const [y, m] = month.split("-").map(Number);
    const shift = (d) => { const t = new Date(Date.UTC(y, m - 1 + d, 1)); return t.toISOString().slice(0, 7); };
    const first = new Date(Date.UTC(y, m - 1, 1)), days = new Date(Date.UTC(y, m, 0)).getUTCDate();
    const lead = (first.getUTCDay() + 6) % 7;  // weeks start on Monday
    const byDay = {};
    cal.entries.forEach((e) => (byDay[e.date] ||= []).push(e));
    const cells = [...Array(lead).fill(null), ...Array.from({ length: days }, (_, i) => i + 1)];
    while (cells.length % 7) cells.push(null);
    const weeks = Array.from({ length: cells.length / 7 }, (_, w) => cells.slice(w * 7, w * 7 + 7));
    const cell = (d) => {
      if (!d) return h("td", { class: "empty" });
      const date = `${month}-${String(d).padStart(2, "0")}`;
      const items = byDay[date] || [];
      const isToday = date === new Date(Date.now() + 9 * 3600e3).toISOString().slice(0, 10);
      return h("td", { "data-date": date, class: isToday ? "today" : null, "aria-current": isToday ? "date" : null },
        h("span", { class: "day" }, d, isToday ? "（今日）" : ""),
        items.length ? h("ul", {}, items.map((e) => h("li", { class: `cal-${e.timing}` },
          h("button", { type: "button", class: "link", onclick: () => open({ id: e.delivery_id }) }, `${e.time} ${e.title}`)))) : null);
    };
    return [
      h("div", { class: "toolbar cal-nav" },
        h("a", { class: "button secondary", href: `#/deliveries?view=calendar&month=${shift(-1)}` }, "前の月"),
        h("h2", { id: "cal-title" }, `${y}年${m}月`),
        h("a", { class: "button secondary", href: `#/deliveries?view=calendar&month=${shift(1)}` }, "次の月")),
      h("p", { class: "hint" }, "予約と繰り返しの配信日です（取り消したものは出ません）。時刻は日本時間。"),
      h("div", { class: "table-wrap" }, h("table", { class: "calendar", "aria-labelledby": "cal-title" },
        h("thead", {}, h("tr", {}, [..."月火水木金土日"].map((w) => h("th", { scope: "col" }, w)))),
        h("tbody", {}, weeks.map((w) => h("tr", {}, w.map(cell)))))),
      h("h2", {}, "リマインド（該当する人がいる日に毎日）"),
      cal.reminders.length ? h("ul", {}, cal.reminders.map((r) => h("li", {}, h("button", { type: "button", class: "link", onclick: () => open(r) }, r.title), `：${r.rule_text}`)))
        : h("p", { class: "hint" }, "ありません。"),
    ];
  }

  async function resultsPage() {
    const since = h("input", { type: "date", id: "since", value: params.get("since") || "" });
    const until = h("input", { type: "date", id: "until", value: params.get("until") || "" });
    const tests = h("input", { type: "checkbox", id: "tests", checked: params.get("tests") === "1" });
    const q = () => `since=${since.value}&until=${until.value}&include_tests=${tests.checked}`.replace(/(^|&)(since|until)=(?=&|$)/g, "");
    const rows = await api("GET", `/deliveries/history?limit=500&${q()}`);
    const detail = h("section", { class: "card", hidden: true, "aria-live": "polite" });
    const pct = (v) => (v === null || v === undefined ? "—" : `${Math.round(v * 1000) / 10}%`);
    async function show(r) {
      const d = await api("GET", `/deliveries/runs/${r.run_id}`);
      detail.hidden = false;
      detail.replaceChildren(h("h2", {}, `「${d.title}」${d.date} ${d.time} の結果`),
        h("dl", { class: "figures" }, [["対象", d.targeted], ["配信数", d.sent], ["成功", d.succeeded], ["失敗", d.failed],
          ["開封", d.opened ?? d.open_note], ["クリック", `${d.clicks}回（${d.unique_clicks}人、${pct(d.click_rate)}）`]].flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, String(v))])),
        h("h3", {}, "失敗の理由"), d.failure_reasons.length ? h("ul", {}, d.failure_reasons.map((f) => h("li", {}, `${f.reason}: ${f.count}人`))) : h("p", { class: "hint" }, "失敗はありません。"),
        h("h3", {}, "リンクごとのクリック"), d.links.length ? h("ul", {}, d.links.map((l) => h("li", {}, `${l.url}: ${l.clicks}回（${l.unique_clicks}人）`))) : h("p", { class: "hint" }, "リンクはありません。"));
      detail.querySelector("h2").setAttribute("tabindex", "-1"); detail.querySelector("h2").focus();
    }
    const columns = [
      { key: "date", label: "配信日時", sort: true, render: (r) => `${r.date} ${r.time}` },
      { key: "title", label: "タイトル", sort: true, render: (r) => (r.is_test ? `${r.title}（テスト）` : r.title) },
      { key: "message_kinds", label: "内容" },
      { key: "sent", label: "配信数", sort: true }, { key: "succeeded", label: "成功", sort: true }, { key: "failed", label: "失敗", sort: true },
      { key: "opened", label: "開封", render: (r) => (r.opened === null ? r.open_note : `${r.opened}（${pct(r.open_rate)}）`) },
      { key: "clicks", label: "クリック", sort: true },
      { key: "run_id", label: "詳しく", render: (r) => h("button", { type: "button", class: "secondary", "aria-label": `${r.date} ${r.title}を詳しく`, onclick: () => show(r).catch((e) => toast(e.message, "error")) }, "詳しく") },
    ];
    const apply = () => { location.hash = `#/deliveries?view=results&since=${since.value}&until=${until.value}&tests=${tests.checked ? 1 : 0}`; };
    return [h("div", { class: "toolbar" }, field("配信日（から）", since), field("配信日（まで）", until),
      h("label", { class: "inline" }, tests, "テスト送信も含める"),
      h("button", { type: "button", class: "secondary", onclick: apply }, "表示する"),
      h("button", { type: "button", class: "secondary", onclick: () => download(`/deliveries/history.csv?${q()}`, "配信結果.csv").then(() => toast("CSVをダウンロードしました。")).catch((e) => toast(e.message, "error")) }, "CSVでダウンロード")),
    listView({ rows, columns, searchKeys: ["title", "message_kinds"], caption: "配信ごとの結果" }), detail];
  }

  async function importPage() {
    if (!canSend) return [h("p", { class: "notice" }, "閲覧のみの権限のため、CSVでの一括登録はできません。")];
    const file = h("input", { type: "file", name: "file", accept: ".csv,text/csv" });
    const partial = h("input", { type: "checkbox", name: "partial" });
    const result = h("div", { "aria-live": "polite" });
    const form = h("form", { class: "editor", novalidate: true },
      h("p", {}, "繰り返し配信をCSVファイルでまとめて登録します（1行が1つの配信）。Excel で作ったファイル（UTF-8 か Shift_JIS）が使えます。"),
      h("p", {}, h("button", { type: "button", class: "secondary", onclick: () => download("/deliveries/import/template.csv", "配信一括登録のひな形.csv").catch((e) => toast(e.message, "error")) }, "ひな形をダウンロード")),
      field("CSVファイル", file), h("label", { class: "inline" }, partial, "正しい行だけ登録する（誤りのある行は登録しない）"),
      h("div", { class: "actions" }, h("button", { type: "submit" }, "登録する")), result);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const f = file.files[0];
      if (!f) { result.replaceChildren(h("p", { class: "field-error", role: "alert" }, "CSVファイルを選んでください。")); return; }
      try {
        const out = await api("POST", `/deliveries/import?partial=${partial.checked}`, f, "text/csv");
        const rows = out.errors.length ? [h("p", { class: "field-error", role: "alert" },
          out.created ? `${out.rows}行のうち${out.created}件を登録しました。次の行は登録していません。` : `${out.errors.length}か所に誤りがあるため、登録していません。直してもう一度アップロードしてください。`),
        h("div", { class: "table-wrap" }, h("table", { "data-testid": "import-errors" }, h("caption", {}, "誤りのある行"),
          h("thead", {}, h("tr", {}, ["行", "列", "内容"].map((c) => h("th", { scope: "col" }, c)))),
          h("tbody", {}, out.errors.map((e) => h("tr", {}, h("td", {}, `${e.row}行目`), h("td", {}, e.column), h("td", {}, e.message))))))] : [];
        if (out.created) toast(`${out.created}件の配信を登録しました。`);
        result.replaceChildren(...(out.errors.length ? rows : [h("p", { class: "notice" }, `${out.created}件の配信を登録しました。カレンダーで確認できます。`)]));
      } catch (err) {
        result.replaceChildren(h("p", { class: "field-error", role: "alert" }, err.message)); toast(err.message, "error");
      }
    });
    return [form];
  }

  await render();
}
