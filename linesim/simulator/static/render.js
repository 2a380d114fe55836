// Renders one message object (as the Messaging API sends it) into a chat bubble element.
// Shared by the chat simulator and the staff console's delivery preview (served at /admin/line/),
// so what staff preview is what the simulator shows: one renderer, one stylesheet (bubbles.css).
import { renderFlex } from "./flex.js";

// A few of LINE's own emoji (product 5ac1bfd5040ab15980c9b435, LINE's documented example set),
// drawn here as the nearest Unicode symbols (in every font): LINE's images are not available offline.
export const LINE_EMOJI = [
  ["001", "☺", "にっこり"], ["002", "♥", "ハート"], ["003", "★", "星"], ["004", "♪", "音符"],
  ["005", "☀", "晴れ"], ["006", "☂", "雨"], ["007", "❄", "雪"], ["008", "✿", "花"],
  ["009", "⚠", "注意"], ["010", "✉", "お知らせ"], ["011", "☎", "電話"], ["012", "✔", "チェック"],
].map(([emojiId, glyph, label]) => ({ productId: "5ac1bfd5040ab15980c9b435", emojiId, glyph, label }));

export function emojiGlyph(emoji) {
  const hit = LINE_EMOJI.find((e) => e.productId === emoji.productId && e.emojiId === emoji.emojiId);
  return hit ? hit.glyph : "☺";
}

// Text with its LINE emoji in place of the "$" each one's index (in UTF-16 units) points at.
function textWithEmoji(node, text, emojis) {
  const at = new Map((emojis || []).map((e) => [e.index, e]));
  let plain = "";
  for (let i = 0; i < text.length; i++) {
    const e = at.get(i);
    if (e && text[i] === "$") {
      if (plain) node.append(plain);
      plain = "";
      const span = el("span", "line-emoji", emojiGlyph(e));
      span.setAttribute("role", "img");
      span.setAttribute("aria-label", LINE_EMOJI.find((x) => x.emojiId === e.emojiId && x.productId === e.productId)?.label || "LINE絵文字");
      node.append(span);
    } else {
      plain += text[i];
    }
  }
  if (plain) node.append(plain);
  return node;
}

export const STICKERS = [
  ["1988", "😀"], ["1989", "😍"], ["1990", "👍"], ["1991", "🙏"],
  ["1992", "😢"], ["1993", "😮"], ["1994", "🎉"], ["1995", "💤"],
];

export function stickerEmoji(stickerId) {
  const hit = STICKERS.find(([id]) => id === String(stickerId));
  if (hit) return hit[1];
  const pool = ["😊", "😆", "🥰", "😎", "🤔", "👏", "🐶", "🐱"];
  return pool[[...String(stickerId)].reduce((a, ch) => a + ch.charCodeAt(0), 0) % pool.length];
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function actionLabel(action) {
  return action?.label || action?.text || action?.displayText || action?.data || action?.uri || action?.type || "";
}

function actionButton(action, act) {
  const button = el("button", "", actionLabel(action));
  button.type = "button";
  button.dataset.testid = "template-action";
  button.dataset.actionType = action.type;
  button.addEventListener("click", () => act(action));
  return button;
}

function templateCard(parts, act, extraClass = "") {
  const card = el("div", `tmpl ${extraClass}`);
  if (parts.thumbnailImageUrl) {
    const img = el("img", "thumb");
    img.src = parts.thumbnailImageUrl;
    img.alt = "";
    if (parts.imageAspectRatio === "square") img.style.aspectRatio = "1";
    if (parts.imageSize === "contain") img.style.objectFit = "contain";
    if (parts.imageBackgroundColor) img.style.backgroundColor = parts.imageBackgroundColor;
    if (parts.defaultAction) img.addEventListener("click", () => act(parts.defaultAction));
    card.append(img);
  }
  const body = el("div", "tbody");
  if (parts.title) body.append(el("div", "ttitle", parts.title));
  if (parts.text) body.append(el("div", "ttext", parts.text));
  card.append(body);
  const actions = el("div", "tactions");
  for (const action of parts.actions || []) actions.append(actionButton(action, act));
  card.append(actions);
  return card;
}

function renderTemplate(template, act) {
  switch (template?.type) {
    case "buttons": return templateCard(template, act);
    case "confirm": return templateCard({ text: template.text, actions: template.actions }, act, "confirm");
    case "carousel": {
      const scroller = el("div", "scroller");
      for (const column of template.columns || []) {
        scroller.append(templateCard({ ...column, imageAspectRatio: template.imageAspectRatio, imageSize: template.imageSize }, act));
      }
      return scroller;
    }
    case "image_carousel": {
      const scroller = el("div", "scroller");
      for (const column of template.columns || []) {
        const card = el("div", "tmpl");
        const img = el("img", "thumb");
        img.src = column.imageUrl;
        img.alt = actionLabel(column.action);
        img.style.aspectRatio = "1";
        card.append(img);
        const actions = el("div", "tactions");
        actions.append(actionButton(column.action, act));
        card.append(actions);
        scroller.append(card);
      }
      return scroller;
    }
    default: return el("div", "bubble", `[テンプレート] ${template?.type ?? ""}`);
  }
}

function renderImagemap(message, act) {
  const wrap = el("div");
  wrap.style.position = "relative";
  wrap.style.width = "240px";
  const img = el("img");
  img.src = `${message.baseUrl}/1040`;
  img.alt = message.altText || "";
  img.style.width = "100%";
  img.style.display = "block";
  img.style.borderRadius = "14px";
  wrap.append(img);
  const base = message.baseSize || { width: 1040, height: 1040 };
  for (const a of message.actions || []) {
    const area = el("button", "area");
    area.type = "button";
    area.setAttribute("aria-label", a.label || a.text || a.linkUri || "");
    Object.assign(area.style, {
      position: "absolute", background: "transparent", border: "0",
      left: `${(a.area.x / base.width) * 100}%`, top: `${(a.area.y / base.height) * 100}%`,
      width: `${(a.area.width / base.width) * 100}%`, height: `${(a.area.height / base.height) * 100}%`,
    });
    area.addEventListener("click", () => act(a.type === "uri" ? { type: "uri", uri: a.linkUri } : a));
    wrap.append(area);
  }
  return wrap;
}

function location(message) {
  const card = el("div", "location-card");
  const map = el("div", "map");
  map.innerHTML = '<svg viewBox="0 0 24 24" width="34" height="34" aria-hidden="true"><path fill="#e53935" d="M12 2a7 7 0 0 0-7 7c0 5.2 7 13 7 13s7-7.8 7-13a7 7 0 0 0-7-7zm0 9.5A2.5 2.5 0 1 1 12 6.5a2.5 2.5 0 0 1 0 5z"/></svg>';
  card.append(map);
  const info = el("div", "info");
  info.append(el("b", "", message.title || "位置情報"));
  info.append(el("span", "", message.address || ""));
  info.append(el("br"));
  const link = el("a", "", `${Number(message.latitude).toFixed(5)}, ${Number(message.longitude).toFixed(5)}`);
  link.href = `https://www.openstreetmap.org/?mlat=${message.latitude}&mlon=${message.longitude}#map=17/${message.latitude}/${message.longitude}`;
  link.target = "_blank";
  link.rel = "noopener";
  info.append(link);
  card.append(info);
  return card;
}

/** The bubble element for one message; `act(action)` runs a tapped action. */
export function renderMessage(message, act) {
  switch (message.type) {
    case "text":
    case "textV2": {
      if (message.emojis?.length) return textWithEmoji(el("div", "bubble"), message.text || "", message.emojis);
      return el("div", "bubble", message.text);
    }
    case "image": {
      const bubble = el("div", "bubble media");
      const img = el("img");
      img.src = message.previewImageUrl || message.originalContentUrl;
      img.alt = "画像";
      img.addEventListener("click", () => window.open(message.originalContentUrl, "_blank", "noopener"));
      bubble.append(img);
      return bubble;
    }
    case "video": {
      const bubble = el("div", "bubble media");
      const video = el("video");
      video.src = message.originalContentUrl;
      video.poster = message.previewImageUrl || "";
      video.controls = true;
      bubble.append(video);
      return bubble;
    }
    case "audio": {
      const bubble = el("div", "bubble");
      const audio = el("audio");
      audio.src = message.originalContentUrl;
      audio.controls = true;
      bubble.append(audio);
      return bubble;
    }
    case "sticker": {
      const bubble = el("div", "bubble sticker", stickerEmoji(message.stickerId));
      bubble.title = `スタンプ ${message.packageId}/${message.stickerId}`;
      return bubble;
    }
    case "location": {
      const bubble = el("div", "bubble wide");
      bubble.append(location(message));
      return bubble;
    }
    case "template": {
      const bubble = el("div", "bubble wide");
      bubble.append(renderTemplate(message.template, act));
      return bubble;
    }
    case "flex": {
      const bubble = el("div", "bubble wide");
      bubble.append(renderFlex(message.contents, act));
      return bubble;
    }
    case "imagemap": {
      const bubble = el("div", "bubble wide");
      bubble.append(renderImagemap(message, act));
      return bubble;
    }
    default:
      return el("div", "bubble", `[${message.type}] ${message.altText || ""}`);
  }
}

/** One row of the timeline: the bot's avatar (its initial), the bubble, and the time. */
export function renderRow(message, act, { sender = "bot", initial = "", time = "" } = {}) {
  const row = el("div", `row ${sender}`);
  row.dataset.type = message.type;
  if (sender === "bot") row.append(el("div", "avatar", initial.slice(0, 1)));
  row.append(renderMessage(message, act));
  row.append(el("span", "time", time));
  return row;
}
