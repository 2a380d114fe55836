// A small SVG chart (lines or grouped bars) with a data table beside it for screen readers.
import { h } from "./ui.js";

const NS = "http://www.w3.org/2000/svg";
const COLOURS = ["#0b6e4f", "#b3261e", "#1f5fa8", "#7a4b00"];
const s = (tag, attrs) => { const el = document.createElementNS(NS, tag); for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v); return el; };

// series: [{label, values: number[]}]; labels: x labels (days, or categories with axis and tick given).
export function chart({ title, labels, series, bars = false, unit = "", axis = "日付", tick = (d) => d.slice(5) }) {
  const W = 560, H = 200, L = 44, B = 24, T = 10;
  const max = Math.max(1, ...series.flatMap((x) => x.values.map((v) => v ?? 0)));
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `${title}のグラフ（数値は下の表）`, class: "chart" });
  const y = (v) => T + (H - T - B) * (1 - (v ?? 0) / max);
  const step = (W - L) / Math.max(1, labels.length);
  for (const f of [0, 0.5, 1]) {
    svg.append(s("line", { x1: L, x2: W, y1: y(max * f), y2: y(max * f), class: "grid" }));
    const t = s("text", { x: L - 4, y: y(max * f) + 4, "text-anchor": "end", class: "axis" }); t.textContent = `${+(max * f).toFixed(1)}${unit}`; svg.append(t);
  }
  labels.forEach((d, i) => {
    if (labels.length <= 10 || i % Math.ceil(labels.length / 6) === 0) {
      const t = s("text", { x: L + step * (i + 0.5), y: H - 6, "text-anchor": "middle", class: "axis" }); t.textContent = tick(d); svg.append(t);
    }
  });
  series.forEach((x, k) => {
    if (bars) {
      const w = (step * 0.8) / series.length;
      x.values.forEach((v, i) => svg.append(s("rect", { x: L + step * i + step * 0.1 + w * k, y: y(v), width: Math.max(1, w), height: H - B - y(v), fill: COLOURS[k] })));
    } else {
      const pts = x.values.map((v, i) => `${L + step * (i + 0.5)},${y(v)}`).join(" ");
      svg.append(s("polyline", { points: pts, fill: "none", stroke: COLOURS[k], "stroke-width": 2 }));
    }
  });
  const legend = h("ul", { class: "legend" }, series.map((x, k) => h("li", {}, h("span", { class: "swatch", "data-k": k }), x.label)));
  const table = h("table", { class: "data" }, h("caption", {}, title),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, axis), series.map((x) => h("th", { scope: "col" }, x.label)))),
    h("tbody", {}, labels.map((d, i) => h("tr", {}, h("th", { scope: "row" }, d), series.map((x) => h("td", {}, x.values[i] ?? "—"))))));
  return h("figure", { class: "card" }, h("h2", {}, title), svg, legend,
    h("details", {}, h("summary", {}, "数値を表で見る"), h("div", { class: "table-wrap" }, table)));
}
