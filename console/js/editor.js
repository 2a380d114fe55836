// Helpers the editors of attributes, forms and mail rules share: rows moved with buttons, the actions bar.
import { h } from "./ui.js";

// A row's buttons: move up, move down (keyboard operable; the focus follows the row) and remove.
// Their accessible names say which row (name() is read again whenever something in the row is typed).
export function rowActions(list, li, name, onRemove, removeText = "削除") {
  const move = (dir) => {
    const other = dir < 0 ? li.previousElementSibling : li.nextElementSibling;
    if (!other) return;
    if (dir < 0) list.insertBefore(li, other); else list.insertBefore(other, li);
    (dir < 0 ? up : down).focus();
    list.dispatchEvent(new Event("change", { bubbles: true }));
  };
  const up = h("button", { type: "button", class: "secondary", onclick: () => move(-1) }, "↑ 上へ");
  const down = h("button", { type: "button", class: "secondary", onclick: () => move(1) }, "↓ 下へ");
  const remove = h("button", { type: "button", class: "danger", onclick: () => { li.remove(); onRemove(); } }, removeText);
  const relabel = () => {
    up.setAttribute("aria-label", `${name()}を上へ`);
    down.setAttribute("aria-label", `${name()}を下へ`);
    remove.setAttribute("aria-label", `${name()}を${removeText}`);
  };
  li.addEventListener("input", relabel);
  list.addEventListener("change", relabel);  // a row moved: positions in names change
  relabel();
  return h("div", { class: "row-actions" }, up, down, remove);
}

// 「一覧に戻る」 and, for staff who may edit, 「保存する」 (the form's submit button).
export function editorActions(back, editable) {
  return h("div", { class: "actions" },
    h("button", { type: "button", class: "secondary", onclick: back }, "一覧に戻る"),
    editable ? h("button", { type: "submit" }, "保存する") : null);
}
