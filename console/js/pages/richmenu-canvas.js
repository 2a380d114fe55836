// The rich-menu drawing board: the menu's image with its tap areas over it (an SVG in the image's own
// pixels, 2500×1686 or 2500×843), drawn, moved and resized with the mouse or pen, and with the
// keyboard (WCAG 2.1.1): arrow keys move the selected area, Shift+arrows change its size.
import { h } from "../ui.js";

const NS = "http://www.w3.org/2000/svg";
const MIN = 40;   // the smallest area drawn with the mouse (image pixels); smaller drags are clicks
const STEP = 25;  // one arrow-key press (1% of the width)
export const MAX_AREAS = 20;
const s = (tag, attrs = {}) => { const el = document.createElementNS(NS, tag); for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v); return el; };
const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));

// size: {width, height}; areas: [{bounds, label, ...}] (changed in place); editable: drawing allowed;
// onChange(kind): "select" | "bounds" | "add"; taps(i): the tap count shown on area i, or null.
export function drawingBoard({ size, areas, editable, onChange, taps = () => null }) {
  const W = size.width, H = size.height;
  let selected = -1, drag = null;
  const img = h("img", { class: "menu-image", alt: "メニューの画像（領域は下の一覧でも編集できます）" });
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", class: "areas-layer", "aria-hidden": "true" });
  const hint = h("p", { class: "hint", id: `board-hint-${Math.random().toString(36).slice(2)}` }, editable
    ? "画像の上をドラッグすると領域を追加できます（20個まで）。領域はドラッグで移動、四隅のつまみで大きさを変えられます。"
      + "キーボードでは「領域を追加」で左上に作り、領域の番号のボタンで矢印キーを押すと移動、Shift＋矢印キーで大きさを変えられます。"
    : "領域の位置と番号です。");
  const keys = h("div", { class: "area-keys", role: "group", "aria-label": "領域の選択（矢印キーで移動・Shift＋矢印キーで大きさ）" });
  const wrap = h("div", { class: "board" }, img, svg);
  wrap.style.aspectRatio = `${W} / ${H}`;  // the right shape before the image arrives (CSSOM: allowed by the CSP)

  const point = (ev) => {
    const r = svg.getBoundingClientRect();
    return { x: clamp(Math.round(((ev.clientX - r.left) * W) / r.width), 0, W), y: clamp(Math.round(((ev.clientY - r.top) * H) / r.height), 0, H) };
  };
  const name = (a, i) => `領域${i + 1}${a.label ? `（${a.label}）` : ""}`;

  function render() {
    svg.replaceChildren();
    areas.forEach((a, i) => {
      const b = a.bounds, on = i === selected;
      const g = s("g", { class: `area${on ? " selected" : ""}`, "data-index": i });
      g.append(s("rect", { x: b.x, y: b.y, width: b.width, height: b.height, class: "area-box", "data-index": i }));
      const label = s("text", { x: b.x + 28, y: b.y + 110, class: "area-number" }); label.textContent = String(i + 1); g.append(label);
      const n = taps(i);
      if (n !== null) {
        const t = s("text", { x: b.x + b.width - 28, y: b.y + 110, "text-anchor": "end", class: "area-taps" });
        t.textContent = `${n}回`; g.append(t);
      }
      if (on && editable) {
        for (const [cx, cy, c] of [[b.x, b.y, "nw"], [b.x + b.width, b.y, "ne"], [b.x, b.y + b.height, "sw"], [b.x + b.width, b.y + b.height, "se"]]) {
          g.append(s("rect", { x: cx - 36, y: cy - 36, width: 72, height: 72, class: "handle", "data-corner": c, "data-index": i }));
        }
      }
      svg.append(g);
    });
    if (drag && drag.kind === "draw" && drag.rect) {
      const r = drag.rect;
      svg.append(s("rect", { x: r.x, y: r.y, width: r.width, height: r.height, class: "area-box drawing" }));
    }
    keys.replaceChildren(...areas.map((a, i) => h("button", {
      type: "button", class: i === selected ? "area-key selected" : "area-key", "aria-pressed": String(i === selected),
      "aria-describedby": hint.id, "data-index": i,
      "aria-label": `${name(a, i)}: 左から${a.bounds.x}、上から${a.bounds.y}、幅${a.bounds.width}、高さ${a.bounds.height}ピクセル`
        + (taps(i) !== null ? `、タップ${taps(i)}回` : ""),
      onclick: () => select(i), onkeydown: (ev) => key(ev, i),
    }, String(i + 1))));
  }

  // quiet: only the board changes (the page moved the selection itself, e.g. focus in a form)
  // Without a mouse: a new area in the top-left corner, selected, to move and size with the arrow keys.
  function add() {
    if (areas.length >= MAX_AREAS) { onChange("full"); return; }
    areas.push({ bounds: { x: 0, y: 0, width: Math.min(500, W), height: Math.min(400, H) }, label: null, action: { type: "message", text: "" } });
    selected = areas.length - 1;
    render(); onChange("add");
    keys.querySelector(`[data-index="${selected}"]`)?.focus();
  }

  function select(i, quiet = false) { selected = i; render(); if (!quiet) onChange("select"); }

  function key(ev, i) {
    const d = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[ev.key];
    if (!d || !editable) return;
    ev.preventDefault();
    selected = i;
    const b = areas[i].bounds;
    if (ev.shiftKey) {
      b.width = clamp(b.width + d[0] * STEP, MIN, W - b.x);
      b.height = clamp(b.height + d[1] * STEP, MIN, H - b.y);
    } else {
      b.x = clamp(b.x + d[0] * STEP, 0, W - b.width);
      b.y = clamp(b.y + d[1] * STEP, 0, H - b.height);
    }
    render(); onChange("bounds");
    keys.querySelector(`[data-index="${i}"]`)?.focus();
  }

  if (editable) {
    svg.addEventListener("pointerdown", (ev) => {
      if (ev.button !== 0) return;
      const p = point(ev), t = ev.target, i = t.dataset?.index === undefined ? -1 : Number(t.dataset.index);
      if (t.classList.contains("handle")) drag = { kind: "resize", i, corner: t.dataset.corner, start: { ...areas[i].bounds } };
      else if (i >= 0) { selected = i; drag = { kind: "move", i, from: p, start: { ...areas[i].bounds } }; }
      else if (areas.length < MAX_AREAS) drag = { kind: "draw", from: p, rect: null };
      else { onChange("full"); return; }
      svg.setPointerCapture(ev.pointerId);
      ev.preventDefault();
      render();
    });
    svg.addEventListener("pointermove", (ev) => {
      if (!drag) return;
      const p = point(ev);
      if (drag.kind === "draw") {
        drag.rect = { x: Math.min(p.x, drag.from.x), y: Math.min(p.y, drag.from.y), width: Math.abs(p.x - drag.from.x), height: Math.abs(p.y - drag.from.y) };
      } else if (drag.kind === "move") {
        const b = areas[drag.i].bounds, st = drag.start;
        b.x = clamp(st.x + p.x - drag.from.x, 0, W - st.width);
        b.y = clamp(st.y + p.y - drag.from.y, 0, H - st.height);
      } else {
        const b = areas[drag.i].bounds, st = drag.start, c = drag.corner;
        const left = c.includes("w") ? Math.min(p.x, st.x + st.width - MIN) : st.x;
        const right = c.includes("e") ? Math.max(p.x, st.x + MIN) : st.x + st.width;
        const top = c.includes("n") ? Math.min(p.y, st.y + st.height - MIN) : st.y;
        const bottom = c.includes("s") ? Math.max(p.y, st.y + MIN) : st.y + st.height;
        Object.assign(b, { x: left, y: top, width: right - left, height: bottom - top });
      }
      render();
    });
    const end = () => {
      if (!drag) return;
      const done = drag; drag = null;
      if (done.kind === "draw") {
        const r = done.rect;
        if (r && r.width >= MIN && r.height >= MIN) {
          areas.push({ bounds: r, label: null, action: { type: "message", text: "" } });
          selected = areas.length - 1;
          render(); onChange("add");
          return;
        }
      }
      render(); onChange(done.kind === "draw" ? "select" : "bounds");
    };
    svg.addEventListener("pointerup", end);
    svg.addEventListener("pointercancel", end);
  }

  render();
  return {
    element: h("div", { class: "board-wrap" }, hint, wrap, h("div", { class: "area-keys-row" }, h("span", { class: "hint" }, "領域:"), keys,
      editable ? h("button", { type: "button", class: "secondary", onclick: add }, "領域を追加") : null)),
    image: img,
    get selected() { return selected; },
    select,
    redraw: render,
  };
}
