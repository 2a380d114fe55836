// 防災モード (issue #22): the town's mode with its history, the switch (a reason and a confirmation:
// every citizen's menu, greeting and answers change), and shelters' state and count.
// API calls: page = GET /disaster-mode + GET /shelters; switch = PUT /disaster-mode {mode, reason, confirm};
// shelter = PUT /shelters/{facility_id} {state, occupancy}; CSV = POST /shelters/import (the file as it is),
// template = GET /shelters/import/template.csv.
import { api, download } from "../api.js";
import { h, field, showError, clearErrors, toast, confirmAction } from "../ui.js";

const MODES = { normal: "通常", alert: "警戒", disaster: "災害" };
const STATES = { not_open: "未開設", open: "開設", crowded: "混雑", full: "満員", closed: "閉鎖" };
const MENUS = { applied: "メニュー切り替え済み", none: "切り替えるメニューなし", failed: "メニューの切り替えに失敗", pending: "メニュー切り替え中" };
const when = (iso) => new Date(iso).toLocaleString("ja-JP");

export default async function disasterPage(main, ctx) {
  const [state, shelters] = await Promise.all([
    api("GET", "/disaster-mode"),
    ctx.can("disaster.read") ? api("GET", "/shelters") : Promise.resolve([]),
  ]);
  main.append(h("p", { class: `mode-now mode-${state.mode}`, role: "status" },
    `現在のモード：${state.mode_label}` + (state.since ? `（${when(state.since)} から）` : "")));

  if (ctx.can("disaster.manage")) {
    const select = h("select", { name: "mode", id: "mode-select" },
      Object.entries(MODES).map(([v, label]) => h("option", { value: v, selected: v === state.mode }, label)));
    const reason = h("input", { name: "reason", id: "mode-reason", maxlength: "500", required: true, placeholder: "例：避難指示（土砂災害）の発令" });
    const form = h("form", { class: "card", "aria-label": "防災モードの切り替え" },
      h("h2", {}, "モードを切り替える"),
      field("切り替え先", select),
      field("理由（履歴と操作ログに残ります）", reason),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "danger" }, "切り替える")));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const mode = select.value;
      if (!(await confirmAction(`防災モードを「${MODES[mode]}」に切り替えます。すべての利用者のリッチメニュー・あいさつ・応答が変わります。よろしいですか？`, "切り替える"))) return;
      try {
        const out = await api("PUT", "/disaster-mode", { mode, reason: reason.value, confirm: true });
        const latest = out.history[0];
        toast(`防災モードを「${out.mode_label}」にしました。` + (latest ? `（${MENUS[latest.menus] || latest.menus}）` : ""),
              latest && latest.menus === "failed" ? "error" : "ok");
        await ctx.reload();
        location.reload();
      } catch (err) { showError(form, err); }
    });
    main.append(form);
  }

  main.append(h("h2", {}, "切り替え履歴"), h("table", {},
    h("caption", {}, "新しい順"),
    h("thead", {}, h("tr", {}, ["日時", "モード", "切り替え前", "理由", "操作", "メニュー"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, state.history.map((c) => h("tr", {},
      h("td", {}, when(c.changed_at)), h("td", {}, c.mode_label), h("td", {}, MODES[c.previous] || c.previous),
      h("td", {}, c.reason), h("td", {}, c.changed_by), h("td", {}, (MENUS[c.menus] || c.menus) + (c.error ? `：${c.error}` : "")))))));

  const editable = ctx.can("disaster.shelters");
  if (editable) {
    const file = h("input", { type: "file", name: "file", id: "shelter-file", accept: ".csv,text/csv" });
    const form = h("form", { class: "card", "aria-label": "避難所の CSV 取り込み" },
      h("h2", {}, "避難所を CSV で取り込む"),
      h("p", {}, "コードが同じ避難所は更新し、新しいコードは追加します。1行でも誤りがあると何も保存しません。"),
      field("CSV ファイル（UTF-8 または Shift_JIS）", file),
      h("div", { class: "actions" }, h("button", { type: "submit" }, "取り込む"),
        h("button", { type: "button", class: "secondary", onclick: () => download("/shelters/import/template.csv", "避難所ひな形.csv")
          .catch((e) => toast(e.message, "error")) }, "ひな形をダウンロード")));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      if (!file.files.length) { showError(form, { field: "file", message: "CSV ファイルを選んでください。" }); return; }
      try {
        const out = await api("POST", "/shelters/import", file.files[0], "text/csv");
        toast(`${out.rows}件を取り込みました（追加 ${out.created}件・更新 ${out.updated}件）。`);
        location.reload();
      } catch (err) { showError(form, err); }
    });
    main.append(form);
  }
  if (!shelters.length) return;
  main.append(h("h2", {}, "避難所"), h("table", { id: "shelters" },
    h("thead", {}, h("tr", {}, ["避難所", "種別", "状態", "人数 / 収容", "操作"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, shelters.map((s) => {
      const st = h("select", { name: "state", "aria-label": `${s.name}の状態`, disabled: !editable },
        Object.entries(STATES).map(([v, label]) => h("option", { value: v, selected: v === s.state }, label)));
      const count = h("input", { name: "occupancy", type: "number", min: "0", max: "100000", value: String(s.occupancy),
        "aria-label": `${s.name}の現在の人数`, disabled: !editable, class: "count-input" });
      const save = editable && h("button", { type: "button", class: "secondary", onclick: async () => {
        try {
          const out = await api("PUT", `/shelters/${s.facility_id}`, { state: st.value, occupancy: Number(count.value) });
          toast(`${out.name}：${out.state_label}、${out.occupancy}人にしました。`);
        } catch (err) { toast(err.message, "error"); }
      } }, "保存");
      return h("tr", { "data-id": String(s.facility_id) }, h("td", {}, s.name), h("td", {}, s.kind_labels.join("・")),
        h("td", {}, st), h("td", {}, count, ` / ${s.capacity}人`), h("td", {}, save || ""));
    }))));
}
