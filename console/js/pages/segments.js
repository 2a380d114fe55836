// セグメント: list, build conditions with pickers, live count + sample, save / copy / delete.
// API calls: list = GET /segments + GET /attributes; each change = POST /segments/preview; save = POST /segments.
import { api } from "../api.js";
import { h, field, listView, showError, clearErrors, toast, confirmAction } from "../ui.js";
import { conditionRow as makeConditionRow } from "./condition-editor.js";

const DRAFT = "madoguchi.console.segment-draft";

export default async function segments(main, ctx) {
  const [rows, attributes] = await Promise.all([api("GET", "/segments"), api("GET", "/attributes")]);
  const editable = ctx.can("segments.edit");
  const attrs = attributes.filter((a) => a.active);
  const showList = () => {
    const columns = [
      { key: "name", label: "名前", sort: true },
      { key: "description", label: "説明" },
      { key: "deliveries", label: "使用中", sort: true, render: (r) => (r.deliveries ? `${r.deliveries}件` : "なし") },
      { key: "updated_at", label: "更新日時", sort: true, render: (r) => new Date(r.updated_at).toLocaleString("ja-JP") },
      { key: "id", label: "操作", render: (r) => h("div", { class: "row-actions" },
        h("button", { type: "button", class: "secondary", onclick: () => edit(r) }, editable ? "編集" : "条件を見る"),
        editable ? h("button", { type: "button", class: "secondary", onclick: () => edit({ ...r, id: null, name: `${r.name}のコピー` }) }, "コピー") : null,
        editable ? h("button", { type: "button", class: "danger", onclick: () => remove(r) }, "削除") : null) },
    ];
    main.replaceChildren(...[h("h1", {}, ctx.title),
      editable ? h("p", {}, h("button", { type: "button", onclick: () => edit(null) }, "新しいセグメントを作る")) : null,
      listView({ rows, columns, searchKeys: ["name", "description"], caption: "保存したセグメント" })].filter(Boolean));
  };
  async function remove(r) {
    if (!(await confirmAction(`セグメント「${r.name}」を削除します。元に戻せません。よろしいですか。`, "削除する"))) return;
    try {
      await api("DELETE", `/segments/${r.id}`);
      rows.splice(rows.indexOf(r), 1); toast(`「${r.name}」を削除しました。`); showList();
    } catch (err) {
      toast(err.message, "error");
      main.prepend(h("p", { class: "field-error", role: "alert" }, err.message));
    }
  }

  function edit(seg) {
    const draft = seg ? null : JSON.parse(sessionStorage.getItem(DRAFT) || "null");
    const start = seg || draft || { id: null, name: "", description: "", filter: { type: "and", items: [] } };
    const name = h("input", { name: "name", value: start.name, maxlength: 80, required: true });
    const description = h("textarea", { name: "description", rows: 2, maxlength: 1000 }, start.description || "");
    const top = start.filter.type === "or" ? "or" : "and";
    const mode = h("select", { name: "mode" }, h("option", { value: "and", selected: top === "and" }, "すべての条件に当てはまる人（かつ）"),
      h("option", { value: "or", selected: top === "or" }, "どれかの条件に当てはまる人（または）"));
    const list = h("ol", { class: "conditions" });
    const count = h("p", { class: "count", "aria-live": "polite", "data-testid": "segment-count" });
    const sample = h("ul", { class: "sample" });
    const items = start.filter.type === "and" || start.filter.type === "or" ? start.filter.items : start.filter.type === "all" ? [] : [start.filter];
    const filter = () => {
      const got = [...list.children].map((li) => li.read()).filter(Boolean);
      return got.length ? { type: mode.value, items: got } : { type: "all" };
    };
    let timer, seq = 0;
    const refresh = () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const mine = ++seq;
        if (!seg) sessionStorage.setItem(DRAFT, JSON.stringify({ id: null, name: name.value, description: description.value, filter: filter() }));
        try {
          const p = await api("POST", "/segments/preview", { filter: filter(), sample: 5 });
          if (mine !== seq) return;
          count.textContent = `該当する友だち: ${p.count}人（テスト用アカウント ${p.test_accounts}件）`;
          sample.replaceChildren(...(p.sample.length ? p.sample.map((c) => h("li", {}, c.display_name || c.user))
            : [h("li", {}, "該当する人はいません。")]));
        } catch (err) { if (mine === seq) count.textContent = err.message; }
      }, 250);
    };
    const conditionRow = (node) => makeConditionRow(node, { attrs, refresh, editable });
    items.forEach((it) => list.append(conditionRow(it)));  // after refresh exists: rows listen with it
    const form = h("form", { class: "editor" },
      h("h1", {}, start.id ? `セグメント「${start.name}」` : "新しいセグメント"),
      field("名前", name), field("説明（任意）", description), field("条件の組み合わせ", mode),
      editable ? null : h("p", { class: "notice" }, "閲覧のみの権限のため、このセグメントは変更できません。"),
      h("h2", {}, "条件"), h("p", { class: "hint" }, "条件がないときは、友だち全員が対象です。"), list,
      editable ? h("button", { type: "button", class: "secondary", onclick: () => { list.append(conditionRow(null)); refresh(); } }, "条件を追加") : null,
      h("section", { class: "card", "aria-label": "人数" }, count, h("h2", {}, "該当する人の例"), sample),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", onclick: showList }, "一覧に戻る"),
        editable ? h("button", { type: "submit" }, "保存する") : null));
    form.addEventListener("change", refresh);
    form.addEventListener("input", refresh);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault(); clearErrors(form);
      const body = { name: name.value, description: description.value, filter: filter() };
      try {
        const out = start.id ? await api("PATCH", `/segments/${start.id}`, body) : await api("POST", "/segments", body);
        if (start.id) rows.splice(rows.findIndex((r) => r.id === start.id), 1, out); else rows.unshift(out);
        sessionStorage.removeItem(DRAFT);
        toast(`セグメント「${out.name}」を保存しました。`); showList();
      } catch (err) { showError(form, err); }
    });
    if (!editable) form.querySelectorAll("input, select, textarea").forEach((e) => { e.disabled = true; });
    main.replaceChildren(form);
    refresh();
    name.focus();
  }
  showList();
}
