// Flex Message rendering: bubble and carousel containers, box layouts, text, span, image, icon,
// button, separator and filler. Faithful enough to read a message, not pixel-perfect.

const SPACING = { none: "0px", xs: "2px", sm: "4px", md: "8px", lg: "12px", xl: "16px", xxl: "20px" };
const TEXT_SIZE = { xxs: "11px", xs: "13px", sm: "14px", md: "16px", lg: "19px", xl: "22px", xxl: "29px",
  "3xl": "35px", "4xl": "48px", "5xl": "74px" };
const IMAGE_SIZE = { xxs: "40px", xs: "60px", sm: "80px", md: "100px", lg: "120px", xl: "140px", xxl: "160px",
  "3xl": "180px", "4xl": "200px", "5xl": "240px", full: "100%" };
const ICON_SIZE = { xxs: "11px", xs: "13px", sm: "14px", md: "16px", lg: "19px", xl: "22px", xxl: "29px", "3xl": "35px" };
const ALIGN = { start: "flex-start", center: "center", end: "flex-end" };

function el(tag, className) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  return node;
}

function space(value) {
  if (value === undefined || value === null) return undefined;
  return SPACING[value] ?? value;
}

function clickable(node, action, act) {
  if (!action) return;
  node.classList.add("fx-clickable");
  node.setAttribute("role", "button");
  node.tabIndex = 0;
  node.dataset.testid = "flex-action";
  if (action.label) node.setAttribute("aria-label", action.label);
  const run = (e) => { e.stopPropagation(); act(action); };
  node.addEventListener("click", run);
  node.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") run(e); });
}

function applyCommon(node, c, parentLayout) {
  const horizontal = parentLayout === "horizontal" || parentLayout === "baseline";
  const flex = c.flex ?? (horizontal && c.type !== "separator" && c.type !== "icon" ? 1 : 0);
  node.style.flex = flex > 0 ? `${flex} 1 0` : "0 0 auto";
  const margin = space(c.margin);
  if (margin) node.style[horizontal ? "marginLeft" : "marginTop"] = margin;
  if (c.position === "absolute") {
    node.style.position = "absolute";
    for (const side of ["Top", "Bottom", "Start", "End"]) {
      const v = c[`offset${side}`];
      if (v !== undefined) node.style[{ Start: "left", End: "right" }[side] ?? side.toLowerCase()] = space(v);
    }
  } else {
    if (c.offsetTop) node.style.marginTop = space(c.offsetTop);
    if (c.offsetStart) node.style.marginLeft = space(c.offsetStart);
  }
  if (c.gravity) node.style.alignSelf = { top: "flex-start", center: "center", bottom: "flex-end" }[c.gravity];
}

function renderBox(c, act, parentLayout) {
  const node = el("div", "fx-box");
  const layout = c.layout || "vertical";
  node.style.flexDirection = layout === "vertical" ? "column" : "row";
  if (layout === "baseline") node.style.alignItems = "baseline";
  if (c.spacing) node.style.gap = space(c.spacing);
  if (c.backgroundColor) node.style.backgroundColor = c.backgroundColor;
  if (c.borderColor) node.style.borderColor = c.borderColor;
  if (c.borderWidth) {
    node.style.borderStyle = "solid";
    node.style.borderWidth = { none: "0", light: "0.5px", normal: "1px", medium: "2px", "semi-bold": "3px", bold: "4px" }[c.borderWidth] ?? c.borderWidth;
  }
  if (c.cornerRadius) node.style.borderRadius = space(c.cornerRadius);
  for (const side of ["All", "Top", "Bottom", "Start", "End"]) {
    const v = c[`padding${side}`];
    if (v === undefined) continue;
    const prop = side === "All" ? "padding" : `padding${{ Start: "Left", End: "Right" }[side] ?? side}`;
    node.style[prop] = space(v);
  }
  if (c.width) node.style.width = c.width;
  if (c.height) node.style.height = c.height;
  if (c.maxWidth) node.style.maxWidth = c.maxWidth;
  if (c.justifyContent) node.style.justifyContent = c.justifyContent;
  if (c.alignItems) node.style.alignItems = c.alignItems;
  applyCommon(node, c, parentLayout);
  for (const child of c.contents || []) node.append(renderComponent(child, act, layout));
  clickable(node, c.action, act);
  return node;
}

function styleText(node, c) {
  if (c.size) node.style.fontSize = TEXT_SIZE[c.size] ?? c.size;
  if (c.weight === "bold") node.style.fontWeight = "700";
  if (c.color) node.style.color = c.color;
  if (c.style === "italic") node.style.fontStyle = "italic";
  if (c.decoration && c.decoration !== "none") node.style.textDecoration = c.decoration;
}

function renderText(c, act, parentLayout) {
  const node = el("p", "fx-text");
  if (c.contents && c.contents.length) {
    for (const span of c.contents) {
      const s = el("span");
      s.textContent = span.text ?? "";
      styleText(s, span);
      node.append(s);
    }
  } else {
    node.textContent = c.text ?? "";
  }
  styleText(node, c);
  node.style.whiteSpace = c.wrap ? "pre-wrap" : "nowrap";
  if (!c.wrap) node.classList.add("nowrap");
  if (c.align) node.style.textAlign = c.align;
  if (c.lineSpacing) node.style.lineHeight = `calc(1.2em + ${c.lineSpacing})`;
  if (c.maxLines) {
    Object.assign(node.style, { display: "-webkit-box", webkitLineClamp: String(c.maxLines), webkitBoxOrient: "vertical", overflow: "hidden" });
  }
  applyCommon(node, c, parentLayout);
  clickable(node, c.action, act);
  return node;
}

function renderImage(c, act, parentLayout) {
  const wrap = el("div");
  wrap.style.display = "flex";
  wrap.style.justifyContent = ALIGN[c.align || "center"];
  const img = el("img", "fx-image");
  img.src = c.url;
  img.alt = "";
  img.loading = "lazy";
  img.style.width = IMAGE_SIZE[c.size || "md"] ?? c.size;
  if (c.aspectRatio) img.style.aspectRatio = c.aspectRatio.replace(":", " / ");
  img.style.objectFit = c.aspectMode === "cover" ? "cover" : "contain";
  if (c.backgroundColor) img.style.backgroundColor = c.backgroundColor;
  wrap.append(img);
  applyCommon(wrap, c, parentLayout);
  clickable(wrap, c.action, act);
  return wrap;
}

function renderButton(c, act, parentLayout) {
  const node = el("button", `fx-button ${c.style || "link"} ${c.height === "sm" ? "sm" : ""}`);
  node.type = "button";
  node.textContent = c.action?.label ?? "";
  if (c.color) node.style[c.style === "link" || !c.style ? "color" : "backgroundColor"] = c.color;
  applyCommon(node, c, parentLayout);
  node.dataset.testid = "flex-button";
  node.addEventListener("click", () => c.action && act(c.action));
  return node;
}

function renderComponent(c, act, parentLayout) {
  switch (c.type) {
    case "box": return renderBox(c, act, parentLayout);
    case "text": return renderText(c, act, parentLayout);
    case "image": return renderImage(c, act, parentLayout);
    case "button": return renderButton(c, act, parentLayout);
    case "separator": {
      const hr = el("hr", "fx-separator");
      if (c.color) hr.style.borderTopColor = c.color;
      if (parentLayout === "horizontal" || parentLayout === "baseline") {
        Object.assign(hr.style, { width: "0", borderTop: "0", borderLeft: `1px solid ${c.color || "#ddd"}`, alignSelf: "stretch" });
      }
      applyCommon(hr, c, parentLayout);
      return hr;
    }
    case "filler": {
      const f = el("div");
      f.style.flex = `${c.flex ?? 1} 1 0`;
      return f;
    }
    case "icon": {
      const img = el("img");
      img.src = c.url;
      img.alt = "";
      img.style.width = ICON_SIZE[c.size || "md"] ?? c.size;
      applyCommon(img, c, parentLayout);
      return img;
    }
    case "video": return c.altContent ? renderComponent(c.altContent, act, parentLayout) : el("div");
    default: {
      const unknown = el("div", "fx-text");
      unknown.textContent = `[${c.type}]`;
      return unknown;
    }
  }
}

function renderBubble(bubble, act) {
  const node = el("div", `flex-bubble ${bubble.size || "mega"}`);
  node.dataset.testid = "flex-bubble";
  const styles = bubble.styles || {};
  for (const block of ["header", "hero", "body", "footer"]) {
    const content = bubble[block];
    if (!content) continue;
    const wrap = el("div", `flex-block ${block}`);
    if (styles[block]?.backgroundColor) wrap.style.backgroundColor = styles[block].backgroundColor;
    if (styles[block]?.separator) wrap.style.borderTop = `1px solid ${styles[block].separatorColor || "#ddd"}`;
    if (block === "hero" && content.type === "image") wrap.append(renderImage({ ...content, size: content.size || "full" }, act, "vertical"));
    else wrap.append(renderComponent(content, act, "vertical"));
    node.append(wrap);
  }
  clickable(node, bubble.action, act);
  return node;
}

export function renderFlex(container, act) {
  if (container?.type === "carousel") {
    const scroller = el("div", "scroller");
    for (const bubble of container.contents || []) scroller.append(renderBubble(bubble, act));
    return scroller;
  }
  return renderBubble(container || {}, act);
}
