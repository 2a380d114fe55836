// Which layout definition (定義体) the counter's OCR uses (§(4) b イ): the ones of the chosen document kind,
// 「自動」 leaves it to the API (the first of the kind); a new town's is added on 様式の定義. Used by the 届書 screen.
import { api } from "../api.js";
import { h, field } from "../ui.js";

export function layoutChoice(kindSelect) {
  const select = h("select", { name: "layout" }, h("option", { value: "" }, "自動（この種類の標準）"));
  let all = [];
  const fill = () => {
    const keep = select.value;
    select.replaceChildren(h("option", { value: "" }, "自動（この種類の標準）"),
      ...all.filter((l) => l.kind === kindSelect.value).map((l) => h("option", { value: l.key, selected: l.key === keep }, l.name)));
  };
  api("GET", "/counter/layouts").then((rows) => { all = rows; fill(); }).catch(() => { /* 自動 only */ });
  kindSelect.addEventListener("change", fill);
  return { field: field("様式（定義体）", select), value: () => select.value };
}
