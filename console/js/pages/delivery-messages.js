// The editors of one delivery message (国富町 §9(2)(ア)③): text with LINE emoji, an uploaded image,
// an imagemap on an uploaded image, Flex from a template staff fill in (or JSON for experts).
// Each editor element has read(): the LINE message object, or null while it is incomplete.
// API calls: upload = POST /images (the file as it is); choose = GET /images.
import { api } from "../api.js";
import { h, field, toast } from "../ui.js";
import { LINE_EMOJI } from "/admin/line/render.js";

export const KINDS = [["text", "テキスト"], ["image", "画像"], ["imagemap", "イメージマップ（画像の中にリンク）"], ["flex", "カード（Flex）"]];
const GREEN = "#0b6e4f";

// ---- an uploaded image: choose a file (uploaded at once) or one uploaded before -------------------
function imagePicker(start, onChange, editable, label = "画像") {
  let value = start;  // {url, preview_url, width?, height?, name?}
  const file = h("input", { type: "file", accept: "image/jpeg,image/png", name: "image", disabled: !editable });
  const thumb = h("div", { class: "thumb" });
  const choose = h("select", { "aria-label": "アップロード済みの画像から選ぶ", disabled: !editable },
    h("option", { value: "" }, "アップロード済みの画像から選ぶ…"));
  let known = [];
  const show = () => thumb.replaceChildren(...[value ? h("img", { src: value.preview_url || value.url, alt: `選んだ${label}` }) : h("p", { class: "hint" }, "まだ選ばれていません。"),
    value?.name ? h("span", { class: "hint" }, `${value.name}${value.width ? `（${value.width}×${value.height}）` : ""}`) : null].filter(Boolean));
  const loadKnown = async () => {
    try {
      known = await api("GET", "/images?limit=50");
      choose.replaceChildren(choose.options[0], ...known.map((i) => h("option", { value: i.url }, `${i.name}（${i.width}×${i.height}）`)));
    } catch { /* the file input still works */ }
  };
  choose.addEventListener("focus", () => { if (!known.length) loadKnown(); }, { once: true });
  choose.addEventListener("change", () => {
    const hit = known.find((i) => i.url === choose.value);
    if (hit) { value = hit; show(); onChange(value); }
  });
  const note = h("p", { class: "hint", "aria-live": "polite" });
  file.addEventListener("change", async () => {
    const f = file.files[0];
    if (!f) return;
    note.textContent = "アップロードしています…";
    note.className = "hint";
    try {
      value = await api("POST", `/images?name=${encodeURIComponent(f.name)}`, f, f.type || "application/octet-stream");
      note.textContent = `「${value.name}」をアップロードしました。`;
      toast("画像をアップロードしました。");
      show(); onChange(value);
    } catch (err) {
      note.textContent = err.message; note.className = "field-error";
    }
  });
  show();
  const box = editable ? h("div", { class: "image-picker" }, field(`${label}（JPEG・PNG、5MBまで）`, file), choose, note, thumb)
    : h("div", { class: "image-picker" }, h("p", { class: "field-label" }, label), thumb);
  box.value = () => value;
  return box;
}

// ---- text with LINE emoji: each emoji goes where the text has a "$" ---------------------------------
function textEditor(m, onChange, editable) {
  const area = h("textarea", { name: "text", rows: 5, maxlength: 5000, disabled: !editable }, m.text || "");
  // slots[k] is the emoji of the k-th "$" of the text (in order)
  const slots = [...(m.emojis || [])].sort((a, b) => a.index - b.index).map(({ productId, emojiId }) => ({ productId, emojiId }));
  const dollars = (text) => [...text.matchAll(/\$/g)].map((x) => x.index);  // UTF-16 indexes, as LINE counts
  const picker = h("div", { class: "emoji-picker", role: "group", "aria-label": "LINE絵文字を入れる" },
    LINE_EMOJI.map((e) => h("button", { type: "button", class: "secondary emoji", disabled: !editable, "aria-label": `LINE絵文字「${e.label}」を入れる`,
      onclick: () => {
        const at = area.selectionStart ?? area.value.length;
        const before = dollars(area.value.slice(0, at)).length;
        area.value = area.value.slice(0, at) + "$" + area.value.slice(area.selectionEnd ?? at);
        slots.splice(before, 0, { productId: e.productId, emojiId: e.emojiId });
        area.focus(); area.setSelectionRange(at + 1, at + 1);
        onChange();
      } }, e.glyph)));
  const box = h("div", {}, field("本文", area, editable ? "絵文字は本文の「$」の位置に入ります（「$」を消すと絵文字も消えます）。" : null), editable ? picker : null);
  let last = area.value;
  area.addEventListener("input", () => {
    // a "$" removed by typing takes its emoji with it
    const was = dollars(last), now = dollars(area.value);
    if (now.length < was.length) {
      const cut = area.selectionStart ?? 0;
      const lost = was.length - now.length;
      const first = dollars(area.value.slice(0, cut)).length;
      slots.splice(first, lost);
    }
    last = area.value;
  });
  box.read = () => {
    if (!area.value.trim()) return null;
    const at = dollars(area.value);
    const emojis = slots.slice(0, at.length).map((s, k) => ({ index: at[k], ...s }));
    return emojis.length ? { type: "text", text: area.value, emojis } : { type: "text", text: area.value };
  };
  return box;
}

function imageEditor(m, onChange, editable) {
  const start = m.originalContentUrl ? { url: m.originalContentUrl, preview_url: m.previewImageUrl } : null;
  const picker = imagePicker(start, onChange, editable);
  picker.read = () => {
    const v = picker.value();
    return v ? { type: "image", originalContentUrl: v.url, previewImageUrl: v.preview_url } : null;
  };
  return picker;
}

// ---- imagemap: an uploaded image cut into areas, each a link -----------------------------------------
const LAYOUTS = {
  one: ["画像全体を1つのリンクにする", [[0, 0, 1, 1]]],
  cols: ["左右に2つ", [[0, 0, 0.5, 1], [0.5, 0, 0.5, 1]]],
  rows: ["上下に2つ", [[0, 0, 1, 0.5], [0, 0.5, 1, 0.5]]],
  grid: ["4つ（縦2×横2）", [[0, 0, 0.5, 0.5], [0.5, 0, 0.5, 0.5], [0, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5]]],
};
const AREA_NAMES = { one: ["画像全体"], cols: ["左", "右"], rows: ["上", "下"], grid: ["左上", "右上", "左下", "右下"] };

function imagemapEditor(m, onChange, editable) {
  let size = m.baseSize || null;
  const start = m.baseUrl ? { url: m.baseUrl, preview_url: `${m.baseUrl}/460` } : null;
  const picker = imagePicker(start, (v) => { size = { width: 1040, height: Math.round((1040 * v.height) / v.width) }; onChange(); }, editable);
  const alt = h("input", { name: "altText", value: m.altText || "", maxlength: 400, disabled: !editable });
  // the layout whose areas the saved message has (the first one for a new message)
  const acts = m.actions || [], W = size?.width || 1040, H = size?.height || 1040;
  const fits = (k) => LAYOUTS[k][1].length === acts.length && LAYOUTS[k][1].every(([x, y], i) =>
    Math.abs(acts[i].area.x - x * W) < 2 && Math.abs(acts[i].area.y - y * H) < 2);
  const guess = Object.keys(LAYOUTS).find(fits) || "one";
  const layout = h("select", { name: "layout", disabled: !editable },
    Object.entries(LAYOUTS).map(([k, [label]]) => h("option", { value: k, selected: k === guess }, label)));
  const links = h("div", { class: "areas" });
  const drawLinks = () => {
    const names = AREA_NAMES[layout.value];
    const old = [...links.querySelectorAll("input")].map((i) => i.value);
    links.replaceChildren(...names.map((n, i) => field(`${n}のリンク先（https://…）`,
      h("input", { type: "url", name: `area-${i}`, value: old[i] ?? m.actions?.[i]?.linkUri ?? "", disabled: !editable }))));
  };
  layout.addEventListener("change", () => { drawLinks(); onChange(); });
  drawLinks();
  const box = h("div", {}, picker, field("通知やトーク一覧に出る文（代替テキスト）", alt), field("リンクの分け方", layout), links);
  box.read = () => {
    const v = picker.value();
    if (!v || !size) return null;
    const { width, height } = size;
    const actions = LAYOUTS[layout.value][1].map(([x, y, w, hh], i) => ({
      type: "uri", linkUri: links.querySelector(`[name="area-${i}"]`).value.trim(),
      area: { x: Math.round(x * width), y: Math.round(y * height), width: Math.round(w * width), height: Math.round(hh * height) },
    })).filter((a) => a.linkUri);
    return { type: "imagemap", baseUrl: v.url, altText: alt.value || "画像のお知らせ", baseSize: { width, height }, actions };
  };
  return box;
}

// ---- Flex: templates staff fill in, or the JSON itself for experts ---------------------------------
const TEMPLATES = {
  notice: { label: "お知らせカード", fields: [["title", "見出し", "input"], ["body", "本文", "textarea"], ["image", "画像（任意）", "image"],
    ["label", "ボタンの文字（任意）", "input"], ["uri", "ボタンのリンク先（任意、https://…）", "url"]] },
  event: { label: "イベント案内（申し込みボタンつき）", fields: [["title", "イベント名", "input"], ["when", "日時", "input"],
    ["place", "場所", "input"], ["body", "内容", "textarea"], ["label", "ボタンの文字", "input"], ["uri", "ボタンのリンク先（https://…）", "url"]] },
};

const text = (t, extra = {}) => ({ type: "text", text: t, wrap: true, ...extra });
function button(v) {
  return v.uri ? { type: "box", layout: "vertical", contents: [{ type: "button", style: "primary", color: GREEN,
    action: { type: "uri", label: (v.label || "詳しく見る").slice(0, 40), uri: v.uri } }] } : undefined;
}
function buildFlex(kind, v) {
  if (kind === "notice") {
    return { type: "bubble",
      hero: v.image ? { type: "image", url: v.image.url, size: "full", aspectRatio: "20:13", aspectMode: "cover" } : undefined,
      body: { type: "box", layout: "vertical", spacing: "md", contents: [text(v.title || "お知らせ", { weight: "bold", size: "lg" }),
        ...(v.body ? [text(v.body, { size: "sm", color: "#555555" })] : [])] },
      footer: button(v) };
  }
  const row = (k, val) => ({ type: "box", layout: "baseline", spacing: "sm", contents: [
    text(k, { size: "sm", color: "#767676", flex: 2 }), text(val || "—", { size: "sm", flex: 5 })] });
  return { type: "bubble",
    header: { type: "box", layout: "vertical", backgroundColor: GREEN, contents: [text("イベントのご案内", { size: "sm", color: "#ffffff" })] },
    body: { type: "box", layout: "vertical", spacing: "md", contents: [text(v.title || "イベント", { weight: "bold", size: "xl" }),
      row("日時", v.when), row("場所", v.place), ...(v.body ? [text(v.body, { size: "sm" })] : [])] },
    footer: button({ label: v.label || "申し込む", uri: v.uri }) };
}
const clean = (o) => JSON.parse(JSON.stringify(o));  // drops the undefined parts
// Equal as JSON whatever the order of keys (a database may store an object's keys in its own order).
function same(a, b) {
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]));
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a); const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => same(a[k], b[k]));
  }
  return a === b;
}

// A saved card made from a template reopens as that template's form, not as JSON: its values are read
// back from the card, and trusted only if the template builds the very same card from them. A card
// written as JSON, or changed by hand after, opens as JSON.
function readBack(contents) {
  if (contents?.type !== "bubble") return null;
  const body = contents.body?.contents || [];
  const action = contents.footer?.contents?.[0]?.action;
  const cell = (i) => { const t = body[i]?.contents?.[1]?.text; return t === "—" ? "" : t; };
  const guesses = [
    ["notice", { title: body[0]?.text, body: body[1]?.text, image: contents.hero ? { url: contents.hero.url } : undefined,
      label: action?.label, uri: action?.uri }],
    ["event", { title: body[0]?.text, when: cell(1), place: cell(2), body: body[3]?.text, label: action?.label, uri: action?.uri }]];
  for (const [kind, guess] of guesses) {
    const values = clean(guess);
    if (same(clean(buildFlex(kind, values)), contents)) return { kind, values };
  }
  return null;
}

function flexEditor(m, onChange, editable) {
  const mode = h("select", { name: "template", disabled: !editable },
    [...Object.entries(TEMPLATES).map(([k, t]) => h("option", { value: k }, t.label)), h("option", { value: "json" }, "JSON を直接書く（詳しい方向け）")]);
  const back = m.contents ? readBack(m.contents) : null;
  mode.value = back ? back.kind : m.contents ? "json" : "notice";
  const alt = h("input", { name: "altText", value: m.altText || "", maxlength: 400, disabled: !editable });
  const json = h("textarea", { name: "contents", rows: 14, class: "code", spellcheck: "false", disabled: !editable },
    m.contents ? JSON.stringify(m.contents, null, 2) : "");
  const form = h("div", { class: "template-fields" });
  const values = back ? back.values : {};
  const draw = () => {
    if (mode.value === "json") {
      if (!json.value.trim()) json.value = JSON.stringify(clean(buildFlex("notice", values)), null, 2);
      form.replaceChildren(field("Flex メッセージの中身（contents の JSON）", json, "LINE の Flex Message Simulator で作った JSON も貼り付けられます。"));
      return;
    }
    form.replaceChildren(...TEMPLATES[mode.value].fields.map(([key, label, kind]) => {
      if (kind === "image") return imagePicker(values.image || null, (v) => { values.image = v; onChange(); }, editable, "カードの画像");
      const input = kind === "textarea" ? h("textarea", { rows: 3, name: key, disabled: !editable }, values[key] || "")
        : h("input", { type: kind === "url" ? "url" : "text", name: key, value: values[key] || "", disabled: !editable });
      input.addEventListener("input", () => { values[key] = input.value; });
      return field(label, input);
    }));
  };
  mode.addEventListener("change", () => { if (mode.value === "json") json.value = ""; draw(); onChange(); });
  draw();
  const box = h("div", {}, field("形", mode), field("通知やトーク一覧に出る文（代替テキスト）", alt), form);
  box.read = () => {
    let contents;
    if (mode.value === "json") {
      try { contents = JSON.parse(json.value); } catch { return { invalid: "JSON の書き方が正しくありません。" }; }
    } else {
      contents = clean(buildFlex(mode.value, values));
    }
    return { type: "flex", altText: alt.value || values.title || "お知らせ", contents };
  };
  return box;
}

const EDITORS = { text: textEditor, image: imageEditor, imagemap: imagemapEditor, flex: flexEditor };

// A message's editor by its kind; kinds the console does not edit (a sticker from the API) are kept as they are.
export function messageEditor(m, onChange, editable) {
  const make = EDITORS[m.type];
  if (!make) {
    const box = h("p", { class: "hint" }, "この種類のメッセージは画面では編集できません（そのまま送ります）。");
    box.read = () => m;
    return box;
  }
  return make(m, onChange, editable);
}
