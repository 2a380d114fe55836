// 通報の回答テンプレート (issue #16): the texts staff pick when they change a road-damage report's status (the
// 通報 page offers those of the new status); per status, in the order set here. Read with reports.read,
// changed with reports.templates (administrators). The reporter reads the text in LINE: polite Japanese.
// API calls: GET /reports/templates, POST /reports/templates, PATCH|DELETE /reports/templates/{id}.
import { api } from "../api.js";
import { h, field, showError, clearErrors, toast, confirmAction } from "../ui.js";

const STATUS = { in_progress: "対応中", done: "完了", rejected: "対応不可", duplicate: "重複" };

export default async function reportTemplates(main, ctx) {
  const editable = ctx.can("reports.templates");

  async function showAll() {
    const rows = await api("GET", "/reports/templates");
    const sections = Object.entries(STATUS).map(([status, label]) => {
      const mine = rows.filter((t) => t.status === status);
      return h("section", { "aria-labelledby": `tpl-${status}` }, h("h2", { id: `tpl-${status}` }, `「${label}」にするとき`),
        h("div", { class: "table-wrap" }, h("table", {}, h("caption", {}, `「${label}」の回答テンプレート（${mine.length}件）`),
          h("thead", {}, h("tr", {}, ["見出し", "通報者に届く文", "並び順", ...(editable ? ["操作"] : [])].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, mine.length ? mine.map((t) => h("tr", { "data-template": t.id }, h("td", {}, t.title), h("td", {}, t.text),
            h("td", {}, String(t.sort_order)),
            editable ? h("td", {}, h("button", { type: "button", class: "secondary", "aria-label": `「${t.title}」を編集`,
              onclick: () => edit(t) }, "編集")) : null))
            : h("tr", {}, h("td", { colspan: editable ? "4" : "3" }, "テンプレートはありません。"))))));
    });
    main.replaceChildren(h("h1", {}, ctx.title),
      h("p", { class: "hint" }, "通報の状態を変えるときに選べる文です。選ぶと「通報者へのお知らせ」に入り、職員が書き換えてから送れます。"),
      editable ? h("p", {}, h("button", { type: "button", onclick: () => edit(null) }, "テンプレートを追加する"))
        : h("p", { class: "hint" }, "テンプレートの変更は管理者（権限「通報の回答テンプレートの編集」）が行います。"),
      ...sections);
  }

  function edit(template) {
    const t = template || { status: "in_progress", title: "", text: "", sort_order: 0 };
    const status = h("select", { name: "status" }, Object.entries(STATUS).map(([v, label]) =>
      h("option", { value: v, selected: v === t.status }, label)));
    const title = h("input", { name: "title", value: t.title, maxlength: 80, required: true, autocomplete: "off" });
    const text = h("textarea", { name: "text", rows: 4, maxlength: 1000, required: true }, t.text);
    const order = h("input", { name: "sort_order", type: "number", min: "0", max: "100000", value: String(t.sort_order) });
    const form = h("form", { class: "editor", novalidate: true, "aria-label": "回答テンプレートの編集" },
      field("使う状態", status), field("見出し（職員が選ぶときの名前）", title, "例: 補修が完了"),
      field("通報者に届く文", text, "LINE で「担当者より」として届きます。です・ます調で、丁寧に書いてください。例: 補修が完了しました。ご連絡ありがとうございました。"),
      field("並び順", order, "小さいほど上に出ます。"),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", onclick: showAll }, "一覧に戻る"),
        h("button", { type: "submit" }, "保存する"),
        template ? h("button", { type: "button", class: "danger", onclick: remove }, "削除") : null));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault(); clearErrors(form);
      if (!title.value.trim()) { showError(form, { field: "title", message: "見出しを入力してください。" }); return; }
      if (!text.value.trim()) { showError(form, { field: "text", message: "通報者に届く文を入力してください。" }); return; }
      const body = { status: status.value, title: title.value.trim(), text: text.value.trim(), sort_order: Number(order.value || 0) };
      try {
        const out = template ? await api("PATCH", `/reports/templates/${t.id}`, body) : await api("POST", "/reports/templates", body);
        toast(`テンプレート「${out.title}」を保存しました。`);
        await showAll();
      } catch (err) { showError(form, err); }
    });
    async function remove() {
      if (!(await confirmAction(`テンプレート「${t.title}」を削除します。よろしいですか。`, "削除する"))) return;
      try { await api("DELETE", `/reports/templates/${t.id}`); toast("テンプレートを削除しました。"); await showAll(); }
      catch (err) { showError(form, err); }
    }
    main.replaceChildren(h("h1", {}, ctx.title), h("h2", {}, template ? `「${t.title}」の編集` : "テンプレートの追加"), form);
    title.focus();
  }

  await showAll();
}
