// おすすめ: services shown on citizens' my-pages to those matching a condition (the segment condition editor).
// API calls: list = GET /recommendations + /recommendations/counts + /attributes; each change = POST
// /recommendations/preview (a count, never who); save = POST / PATCH; delete = DELETE /recommendations/{id}.
import { api } from "../api.js";
import { h, field, listView, showError, clearErrors, toast, confirmAction } from "../ui.js";
import { conditionRow as makeConditionRow } from "./condition-editor.js";

const period = (r) => (r.starts_on || r.ends_on ? `${r.starts_on || ""}〜${r.ends_on || ""}` : "常時");

export default async function recommendations(main, ctx) {
  const [rows, counted, attributes] = await Promise.all([api("GET", "/recommendations"),
    api("GET", "/recommendations/counts"), api("GET", "/attributes")]);
  const counts = new Map(counted.rules.map((c) => [c.id, c]));
  const editable = ctx.can("segments.edit");
  const attrs = attributes.filter((a) => a.active);
  const showList = () => {
    const columns = [
      { key: "position", label: "表示順", sort: true },
      { key: "title", label: "見出し", sort: true },
      { key: "active", label: "状態", render: (r) => (counts.get(r.id)?.shown ? "表示中" : r.active ? "掲載期間外" : "停止中") },
      { key: "starts_on", label: "掲載期間", render: period },
      { key: "count", label: "該当する人数", render: (r) => (counts.has(r.id) ? `${counts.get(r.id).count}人` : "—") },
      { key: "id", label: "操作", render: (r) => h("div", { class: "row-actions" },
        h("button", { type: "button", class: "secondary", "aria-label": `${r.title}を${editable ? "編集" : "見る"}`, onclick: () => edit(r) }, editable ? "編集" : "条件を見る"),
        editable ? h("button", { type: "button", class: "danger", "aria-label": `${r.title}を削除`, onclick: () => remove(r) }, "削除") : null) },
    ];
    main.replaceChildren(...[h("h1", {}, ctx.title),
      h("p", { class: "hint" }, "登録情報（お子さまの生年月日など）の条件に当てはまる住民のマイページに、サービスのご案内を表示します。人数は友だち（テスト用アカウントを除く）の数です。"),
      editable ? h("p", {}, h("button", { type: "button", onclick: () => edit(null) }, "新しいおすすめを作る")) : null,
      listView({ rows, columns, searchKeys: ["title", "body"], caption: "おすすめの一覧" })].filter(Boolean));
  };
  async function remove(r) {
    if (!(await confirmAction(`おすすめ「${r.title}」を削除します。元に戻せません。よろしいですか。`, "削除する"))) return;
    try {
      await api("DELETE", `/recommendations/${r.id}`);
      rows.splice(rows.indexOf(r), 1); toast(`「${r.title}」を削除しました。`); showList();
    } catch (err) { toast(err.message, "error"); }
  }

  function edit(rule) {
    const start = rule || { id: null, title: "", body: "", link_url: "", date_label: "", active: true, starts_on: null,
      ends_on: null, position: rows.length, filter: { type: "and", items: [] } };
    const title = h("input", { name: "title", value: start.title, maxlength: 100, required: true });
    const body = h("textarea", { name: "body", rows: 3, maxlength: 2000 }, start.body || "");
    const link = h("input", { name: "link_url", type: "url", value: start.link_url || "", maxlength: 500 });
    const dateLabel = h("input", { name: "date_label", value: start.date_label || "", maxlength: 60 });
    const startsOn = h("input", { name: "starts_on", type: "date", value: start.starts_on || "" });
    const endsOn = h("input", { name: "ends_on", type: "date", value: start.ends_on || "" });
    const position = h("input", { name: "position", type: "number", min: 0, max: 10000, value: start.position });
    const active = h("input", { name: "active", type: "checkbox", checked: start.active });
    const top = start.filter.type === "or" ? "or" : "and";
    const mode = h("select", { name: "mode" }, h("option", { value: "and", selected: top === "and" }, "すべての条件に当てはまる人（かつ）"),
      h("option", { value: "or", selected: top === "or" }, "どれかの条件に当てはまる人（または）"));
    const list = h("ol", { class: "conditions" });
    const count = h("p", { class: "count", "aria-live": "polite", "data-testid": "recommendation-count" });
    const items = ["and", "or"].includes(start.filter.type) ? start.filter.items : start.filter.type === "all" ? [] : [start.filter];
    const filter = () => {
      const got = [...list.children].map((li) => li.read()).filter(Boolean);
      return got.length ? { type: mode.value, items: got } : { type: "all" };
    };
    let timer, seq = 0;
    const refresh = () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const mine = ++seq;
        try {
          const p = await api("POST", "/recommendations/preview", { filter: filter() });
          if (mine === seq) count.textContent = `いま該当する人: ${p.count}人`;
        } catch (err) { if (mine === seq) count.textContent = err.message; }
      }, 250);
    };
    const conditionRow = (node) => makeConditionRow(node, { attrs, refresh, editable });
    items.forEach((it) => list.append(conditionRow(it)));
    const form = h("form", { class: "editor" },
      h("h1", {}, start.id ? `おすすめ「${start.title}」` : "新しいおすすめ"),
      field("見出し", title), field("説明", body), field("詳しい案内のURL（任意）", link),
      field("日付に添える言葉（任意）", dateLabel, "年齢の条件に達した日を表示します。例: お子さまが1歳6か月になった日"),
      field("掲載開始日（任意）", startsOn), field("掲載終了日（任意）", endsOn), field("表示順", position),
      h("label", { class: "inline" }, active, "表示する"),
      editable ? null : h("p", { class: "notice" }, "閲覧のみの権限のため、このおすすめは変更できません。"),
      h("h2", {}, "表示する人の条件"), field("条件の組み合わせ", mode),
      h("p", { class: "hint" }, "条件がないときは、全員に表示します。"), list,
      editable ? h("button", { type: "button", class: "secondary", onclick: () => { list.append(conditionRow(null)); refresh(); } }, "条件を追加") : null,
      h("section", { class: "card", "aria-label": "該当する人数" }, count),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", onclick: showList }, "一覧に戻る"),
        editable ? h("button", { type: "submit" }, "保存する") : null));
    form.addEventListener("change", refresh);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault(); clearErrors(form);
      const out = { title: title.value, body: body.value, link_url: link.value, date_label: dateLabel.value,
        starts_on: startsOn.value || null, ends_on: endsOn.value || null, position: Number(position.value || 0),
        active: active.checked, filter: filter() };
      try {
        const saved = start.id ? await api("PATCH", `/recommendations/${start.id}`, out) : await api("POST", "/recommendations", out);
        if (start.id) rows.splice(rows.findIndex((r) => r.id === start.id), 1, saved); else rows.push(saved);
        Object.assign(counted, await api("GET", "/recommendations/counts"));
        counted.rules.forEach((c) => counts.set(c.id, c));
        toast(`おすすめ「${saved.title}」を保存しました。`); showList();
      } catch (err) { showError(form, err); }
    });
    if (!editable) form.querySelectorAll("input, select, textarea").forEach((e) => { e.disabled = true; });
    main.replaceChildren(form);
    refresh();
    title.focus();
  }
  showList();
}
