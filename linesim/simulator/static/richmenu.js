// The rich menu under the chat: the uploaded image scaled to the width, each area a button.
import { actionLabel } from "./render.js";

export class RichMenuView {
  constructor(panel, toggle, act) {
    this.panel = panel;
    this.toggle = toggle;
    this.act = act;
    this.menuId = null;
    toggle.addEventListener("click", () => this.setOpen(this.panel.hidden));
  }

  setOpen(open) {
    if (!this.menuId) return;
    this.panel.hidden = !open;
    this.toggle.setAttribute("aria-expanded", String(open));
    this.toggle.textContent = `${this.chatBarText} ${open ? "▼" : "▲"}`;
  }

  /** Show `menu` (the rich menu object plus imageUrl) or hide everything for null. */
  show(menu) {
    if (!menu) {
      this.menuId = null;
      this.panel.hidden = true;
      this.toggle.hidden = true;
      this.panel.replaceChildren();
      return;
    }
    const wasOpen = this.menuId !== null && !this.panel.hidden;
    const changed = this.menuId !== menu.richMenuId;
    this.menuId = menu.richMenuId;
    this.chatBarText = menu.chatBarText || "メニュー";
    this.panel.dataset.richMenuId = menu.richMenuId;
    const img = document.createElement("img");
    img.src = menu.imageUrl;
    img.alt = menu.name || "リッチメニュー";
    img.draggable = false;
    const areas = (menu.areas || []).map((area, index) => this.areaButton(area, index, menu.size));
    this.panel.replaceChildren(img, ...areas);
    this.toggle.hidden = false;
    // a newly shown menu opens if `selected`; a tab switch keeps it open
    this.setOpen(changed ? (wasOpen || Boolean(menu.selected)) : wasOpen);
  }

  areaButton(area, index, size) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "area";
    button.dataset.testid = "richmenu-area";
    button.dataset.index = String(index);
    button.dataset.actionType = area.action?.type || "";
    button.setAttribute("aria-label", actionLabel(area.action) || `エリア${index + 1}`);
    const b = area.bounds;
    Object.assign(button.style, {
      left: `${(b.x / size.width) * 100}%`,
      top: `${(b.y / size.height) * 100}%`,
      width: `${(b.width / size.width) * 100}%`,
      height: `${(b.height / size.height) * 100}%`,
    });
    button.addEventListener("click", () => this.act(area.action, { fromRichMenu: true }));
    return button;
  }
}
