// One condition of a segment filter (a leaf, optionally negated), edited with pickers: shared by
// セグメント and おすすめ. ``li.read()`` gives the leaf (or null while incomplete); every change calls refresh().
import { h } from "../ui.js";

const LEAVES = {
  single: [["choice", "次のどれか"], ["has", "回答あり"]], multi: [["choice", "次のどれか"], ["has", "回答あり"]],
  date: [["age", "年齢・月齢"], ["date", "日付の範囲"], ["has", "回答あり"]], number: [["number", "数値の範囲"], ["has", "回答あり"]],
  text: [["text", "次の文字と一致"], ["has", "回答あり"]],
};
const UNITS = [["years", "歳"], ["months", "か月"], ["days", "日"]];

export function conditionRow(node, { attrs, refresh, editable }) {
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
