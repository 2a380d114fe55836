// セグメント: list, build conditions with pickers, live count + sample, save / copy / delete.
// API calls: list = GET /segments + GET /attributes; each change = POST /segments/preview; save = POST /segments.
import { api } from "../api.js";
import { h, field, listView, showError, clearErrors, toast, confirmAction } from "../ui.js";

const DRAFT = "madoguchi.console.segment-draft";
const LEAVES = {
  single: [["choice", "次のどれか"], ["has", "回答あり"]], multi: [["choice", "次のどれか"], ["has", "回答あり"]],
  date: [["age", "年齢・月齢"], ["date", "日付の範囲"], ["has", "回答あり"]], number: [["number", "数値の範囲"], ["has", "回答あり"]],
  text: [["text", "次の文字と一致"], ["has", "回答あり"]],
};
const UNITS = [["years", "歳"], ["months", "か月"], ["days", "日"]];

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
    function conditionRow(node) {
      let negate = false;
      if (node && node.type === "not") { negate = true; node = node.item; }
      const li = h("li", { class: "condition" });
      const options = [h("option", { value: "friend_days" }, "友だち追加からの日数"), ...attrs.map((a) => h("option", { value: a.key }, a.label))];
      const attr = h("select", { "aria-label": "項目" }, options);
      attr.value = node ? (node.type === "friend_days" ? "friend_days" : node.attribute) : attrs[0]?.key || "friend_days";
      const kind = h("select", { "aria-label": "条件の種類" });
      const inputs = h("span", { class: "inputs" });
      const not = h("input", { type: "checkbox", checked: negate });
      const spec = () => attrs.find((a) => a.key === attr.value);
      const num = (label, value) => h("label", { class: "inline" }, h("input", { type: "number", value: value ?? "", "data-k": label, class: "short" }), label);
      const drawKind = () => {
        const s = spec();
        kind.replaceChildren(...(s ? LEAVES[s.kind] || [["has", "回答あり"]] : [["friend_days", "日数の範囲"]]).map(([v, l]) => h("option", { value: v }, l)));
        if (node && [...kind.options].some((o) => o.value === node.type)) kind.value = node.type;
      };
      const drawInputs = () => {
        const s = spec(), k = kind.value, n = node && node.type === k ? node : {};
        inputs.replaceChildren();
        if (k === "choice") {
          const box = h("fieldset", { class: "choices" }, h("legend", {}, "選択肢"),
            s.choices.map((c) => h("label", { class: "inline" }, h("input", { type: "checkbox", value: c.value, checked: (n.values || []).includes(c.value) }), c.label)));
          inputs.append(box);
        } else if (k === "age") {
          const unit = h("select", { "aria-label": "単位" }, UNITS.map(([v, l]) => h("option", { value: v, selected: (n.unit || "years") === v }, l)));
          inputs.append(num("から", n.min), num("まで", n.max), unit);
        } else if (k === "date") {
          inputs.append(h("label", { class: "inline" }, h("input", { type: "date", value: n.from || "", "data-k": "from" }), "から"),
            h("label", { class: "inline" }, h("input", { type: "date", value: n.to || "", "data-k": "to" }), "まで"));
        } else if (k === "number" || k === "friend_days") {
          inputs.append(num("から", n.min), num("まで", n.max), k === "friend_days" ? h("span", {}, "日（空欄は上限・下限なし）") : "");
        } else if (k === "text") {
          inputs.append(h("label", { class: "inline" }, "文字", h("input", { value: n.equals || "", "data-k": "equals" })));
        }
      };
      li.read = () => {
        const k = kind.value, leaf = { type: k };
        if (k !== "friend_days") leaf.attribute = attr.value;
        const val = (key) => inputs.querySelector(`[data-k="${key}"]`)?.value;
        const intOrNull = (v) => (v === "" || v === undefined ? null : Number(v));
        if (k === "choice") { leaf.values = [...inputs.querySelectorAll("input:checked")].map((c) => c.value); if (!leaf.values.length) return null; }
        if (k === "age") { leaf.unit = inputs.querySelector("select").value; }
        if (["age", "number", "friend_days"].includes(k)) { leaf.min = intOrNull(val("から")); leaf.max = intOrNull(val("まで")); }
        if (k === "date") { leaf.from = val("from") || null; leaf.to = val("to") || null; }
        if (k === "text") { leaf.equals = val("equals"); if (!leaf.equals) return null; }
        return not.checked ? { type: "not", item: leaf } : leaf;
      };
      attr.addEventListener("change", () => { node = null; drawKind(); drawInputs(); refresh(); });
      kind.addEventListener("change", () => { drawInputs(); refresh(); });
      li.addEventListener("input", refresh);
      li.addEventListener("change", refresh);
      drawKind(); drawInputs();
      li.append(h("div", { class: "condition-head" }, attr, kind,
        h("label", { class: "inline" }, not, "この条件に当てはまらない人を選ぶ"),
        editable ? h("button", { type: "button", class: "secondary", onclick: () => { li.remove(); refresh(); } }, "条件を削除") : null), inputs);
      return li;
    }
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
