// 属性: list, add and edit citizens' attributes (types, choices with labels, order) — 国富町 §9(2)(ア)①②.
// API calls: list = GET /attributes; save = POST /attributes or PATCH /attributes/{key}.
import { api } from "../api.js";
import { h, field, listView, showError, clearErrors, toast } from "../ui.js";
import { rowActions, editorActions } from "../editor.js";

const DRAFT = "madoguchi.console.attribute-draft";
const KINDS = [["single", "単一選択（1つ選ぶ）"], ["multi", "複数選択（いくつでも選ぶ）"], ["date", "日付（生年月日など）"],
  ["number", "数値（世帯人数など）"], ["text", "テキスト（自由記入）"]];
const isChoice = (kind) => kind === "single" || kind === "multi";

export default async function attributes(main, ctx) {
  const rows = await api("GET", "/attributes");
  const editable = ctx.can("segments.edit");

  const showList = () => {
    const columns = [
      { key: "position", label: "表示順", sort: true },
      { key: "label", label: "名前", sort: true },
      { key: "kind_label", label: "種類", sort: true },
      { key: "category", label: "分類", sort: true },
      { key: "choices", label: "選択肢", render: (r) => (isChoice(r.kind) ? r.choices.map((c) => c.label).join("、") : "—") },
      { key: "answered", label: "回答した人数", sort: true, render: (r) => `${r.answered}人` },
      { key: "active", label: "状態", render: (r) => (r.active ? "使用中" : "使用停止") },
      { key: "key", label: "操作", render: (r) => h("button", { type: "button", class: "secondary", onclick: () => edit(r),
        "aria-label": `「${r.label}」を${editable ? "編集" : "見る"}` }, editable ? "編集" : "見る") },
    ];
    main.replaceChildren(...[h("h1", {}, ctx.title),
      h("p", { class: "hint" }, "属性は、友だちに登録してもらう項目です（地区、関心のある分野、お子さんの生年月日など）。フォームの質問やセグメントの条件に使います。"),
      editable ? h("p", {}, h("button", { type: "button", onclick: () => edit(null) }, "新しい属性を追加")) : null,
      listView({ rows, columns, searchKeys: ["label", "key", "category", "kind_label"], caption: "属性の一覧" })].filter(Boolean));
  };

  function edit(attr) {
    const draft = attr ? null : JSON.parse(sessionStorage.getItem(DRAFT) || "null");
    const start = attr || draft || { key: "", label: "", kind: "single", category: "", description: "", choices: [],
      max_values: 1, min_number: null, max_number: null, unit: "", position: null, active: true };
    const isNew = !attr;
    const key = h("input", { name: "key", value: start.key, maxlength: 40, required: true, readonly: !isNew, autocomplete: "off",
      pattern: "[a-z][a-z0-9_]{1,39}" });
    const label = h("input", { name: "label", value: start.label, maxlength: 80, required: true });
    const kind = h("select", { name: "kind" }, KINDS.map(([v, l]) => h("option", { value: v, selected: start.kind === v }, l)));
    const category = h("input", { name: "category", value: start.category, maxlength: 40 });
    const description = h("textarea", { name: "description", rows: 2, maxlength: 500 }, start.description || "");
    const position = h("input", { name: "position", type: "number", min: 0, max: 100000, value: start.position ?? "", class: "short" });
    const maxValues = h("input", { name: "max_values", type: "number", min: 1, max: 20, value: start.max_values ?? 1, class: "short" });
    const minNumber = h("input", { name: "min_number", type: "number", value: start.min_number ?? "", class: "short" });
    const maxNumber = h("input", { name: "max_number", type: "number", value: start.max_number ?? "", class: "short" });
    const unit = h("input", { name: "unit", value: start.unit || "", maxlength: 16, class: "short" });
    const active = h("input", { type: "checkbox", name: "active", checked: start.active !== false });
    const choiceList = h("ol", { class: "choice-rows" });
    const choiceBox = h("fieldset", { class: "card choice-box", name: "choices" }, h("legend", {}, "選択肢"),
      h("p", { class: "hint" }, "「コード」はセグメントやCSVで使う英数字で、あとから変えられません。「表示名」は友だちに見える文字で、いつでも変えられます。"),
      choiceList,
      editable ? h("button", { type: "button", class: "secondary", onclick: () => { clearErrors(form); choiceList.append(choiceRow({ value: "", label: "" })); save(); choiceList.lastElementChild.querySelector("input").focus(); } }, "選択肢を追加") : null);
    const numberBox = h("div", { class: "inline-fields" }, field("最小値（任意）", minNumber), field("最大値（任意）", maxNumber), field("単位（例: 人）", unit));
    const manyBox = field("登録できる件数", maxValues, "お子さんの生年月日のように、1人が複数登録する項目は2以上にします。");

    function choiceRow(c) {
      const li = h("li", { class: "choice-row" });
      const n = () => [...choiceList.children].indexOf(li);
      const value = h("input", { value: c.value, maxlength: 64, "data-k": "value", readonly: !!(c.value && attr && attr.choices.some((x) => x.value === c.value)) });
      const text = h("input", { value: c.label, maxlength: 80, "data-k": "label" });
      const name = () => `選択肢「${text.value || value.value || n() + 1}」`;
      const renumber = () => { value.name = `choices.${n()}.value`; text.name = `choices.${n()}.label`; };
      li.renumber = renumber;
      li.append(h("label", { class: "inline" }, "コード", value), h("label", { class: "inline" }, "表示名", text),
        ...(editable ? [rowActions(choiceList, li, name, () => save())] : []));
      return li;
    }
    (start.choices || []).forEach((c) => choiceList.append(choiceRow(c)));

    const read = () => {
      [...choiceList.children].forEach((li) => li.renumber());
      const num = (el) => (el.value === "" ? null : Number(el.value));
      const body = { label: label.value, kind: kind.value, category: category.value, description: description.value,
        choices: isChoice(kind.value) ? [...choiceList.children].map((li) => ({ value: li.querySelector('[data-k="value"]').value.trim(), label: li.querySelector('[data-k="label"]').value.trim() })) : [],
        max_values: num(maxValues) ?? 1, min_number: num(minNumber), max_number: num(maxNumber), unit: unit.value, position: num(position) };
      if (isNew) body.key = key.value.trim(); else body.active = active.checked;
      return body;
    };
    const save = () => { if (isNew) sessionStorage.setItem(DRAFT, JSON.stringify(read())); };
    const showKind = () => {
      choiceBox.hidden = !isChoice(kind.value);
      numberBox.hidden = kind.value !== "number";
      manyBox.hidden = isChoice(kind.value);
    };
    kind.addEventListener("change", showKind);

    const form = h("form", { class: "editor", novalidate: true },
      h("h1", {}, isNew ? "新しい属性" : `属性「${start.label}」`),
      editable ? null : h("p", { class: "notice" }, "閲覧のみの権限のため、この属性は変更できません。"),
      field("名前（友だちに見える項目名）", label),
      field("キー（英小文字・数字・_、2〜40文字）", key, isNew ? "例: child_school。あとから変えられません。" : "キーは変えられません。"),
      field("種類", kind, attr && attr.answered ? `すでに${attr.answered}人が回答しているため、種類は変えられません。` : null),
      choiceBox, numberBox, manyBox,
      field("分類（任意、例: 子育て）", category), field("説明（任意）", description),
      field("表示順（小さいほど先、空欄は最後）", position),
      isNew ? null : h("div", { class: "field" }, h("label", { class: "inline" }, active, "使用中（外すとフォームやセグメントで選べなくなります）")),
      editorActions(showList, editable));
    if (attr && attr.answered) kind.disabled = true;
    form.addEventListener("input", save);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault(); clearErrors(form);
      const body = read();
      try {
        const out = isNew ? await api("POST", "/attributes", body) : await api("PATCH", `/attributes/${encodeURIComponent(start.key)}`, body);
        const at = rows.findIndex((r) => r.key === out.key);
        if (at >= 0) rows.splice(at, 1, out); else rows.push(out);
        rows.sort((a, b) => a.position - b.position);
        sessionStorage.removeItem(DRAFT);
        toast(`属性「${out.label}」を保存しました。`); showList();
      } catch (err) {
        if (err.field && /^choices\.\d+$/.test(err.field)) err.field = `${err.field}.value`;
        showError(form, err);
      }
    });
    if (!editable) form.querySelectorAll("input, select, textarea").forEach((e) => { e.disabled = true; });
    showKind();
    main.replaceChildren(form);
    label.focus();
  }
  showList();
}
