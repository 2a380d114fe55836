// The rich-menu editor: name and chat-bar text, the image (uploaded, or rendered from tiles by
// POST /richmenus/preview), the tap areas drawn on it and each area's action, tabs side by side.
// API calls: open = GET /richmenus/{id}/image (+ the tabs' images); save = PATCH /richmenus/{id};
// upload = PUT /richmenus/{id}/image; tiles = POST /richmenus/preview, then PUT …/image.
import { api } from "../api.js";
import { h, field, showError, clearErrors, toast, confirmAction } from "../ui.js";
import { drawingBoard, MAX_AREAS } from "./richmenu-canvas.js";

const SWITCH = "richmenu-switch=";
const LIFF = "https://liff.line.me/";
const DRAFT = "madoguchi.console.richmenu-draft";
const KINDS = [["message", "メッセージを送る"], ["uri", "ウェブページを開く"], ["postback", "チャットボットの機能を始める"],
  ["liff", "LIFF ページを開く"], ["richmenuswitch", "ほかのタブに切り替える"]];
const ICONS = [["", "なし"], ["garbage", "ごみ"], ["pin", "場所"], ["warning", "注意"], ["question", "質問"], ["calendar", "カレンダー"],
  ["document", "書類"], ["info", "お知らせ"], ["globe", "ウェブ"], ["home", "家"], ["bell", "ベル"], ["heart", "ハート"], ["bus", "バス"]];
const PALETTE = ["#2E7D32", "#1565C0", "#C62828", "#6A1B9A", "#E65100", "#00838F", "#4E342E", "#AD1457"];

const images = new Map();  // sha256 → object URL (image bytes never change for a hash)
export async function imageUrl(menu) {
  if (!menu.image) return null;
  if (!images.has(menu.image.sha256)) images.set(menu.image.sha256, URL.createObjectURL(await api("GET", `/richmenus/${menu.id}/image`)));
  return images.get(menu.image.sha256);
}

// The same cells render.py gives tiles (no tab strip): columns and rows split evenly.
function split(total, parts, start = 0) {
  const e = Array.from({ length: parts + 1 }, (_, i) => start + Math.round((total * i) / parts));
  return e.slice(0, -1).map((x, i) => [x, e[i + 1] - x]);
}
function tileAreas(layout, size) {
  const cols = split(size.width, layout.columns), rows = split(size.height, layout.rows);
  let c = 0, r = 0;
  return layout.tiles.map((t) => {
    if (c + t.columns > layout.columns) { c = 0; r++; }
    const [x] = cols[c], [lx, lw] = cols[c + t.columns - 1], [y, hgt] = rows[r];
    c += t.columns;
    return { bounds: { x, y, width: lx + lw - x, height: hgt }, label: t.label, action: { type: "message", text: t.label } };
  });
}

// ctx: the page context; menu: the menu (MenuOut); all: every menu; groups; options: GET /richmenu-accounts;
// taps: [{menu_id, area_index, taps}] or null; back(): return to the list; reopen(menu): open another menu.
export async function editMenu(main, ctx, { menu, all, groups, options, taps, back, reopen }) {
  const editable = ctx.can("richmenus.edit");
  const draft = JSON.parse(sessionStorage.getItem(DRAFT) || "null");
  const fromDraft = draft && draft.id === menu.id && draft.updated_at === menu.updated_at;
  const areas = structuredClone(fromDraft ? draft.areas : menu.areas);
  const tiled = !!menu.layout;
  const canDraw = editable && !tiled && !!menu.image;
  const name = h("input", { name: "name", value: menu.name, maxlength: 100, required: true });
  const chatBar = h("input", { name: "chat_bar_text", value: menu.chat_bar_text, maxlength: 14, required: true });
  const selected = h("input", { type: "checkbox", name: "selected", checked: menu.selected });
  const group = h("select", { name: "group_id" }, h("option", { value: "" }, "なし（タブにしない）"),
    groups.map((g) => h("option", { value: g.id, selected: g.id === menu.group_id }, g.name)));
  const tabLabel = h("input", { name: "tab_label", value: menu.tab_label || "", maxlength: 20 });
  const status = h("div", { "aria-live": "polite", "data-testid": "menu-problems" });
  const list = h("ol", { class: "area-forms" });
  const tapsOf = new Map((taps || []).filter((t) => t.menu_id === menu.id && t.area_index !== null).map((t) => [t.area_index, t.taps]));
  const showTaps = h("input", { type: "checkbox", checked: !!taps });
  let dirty = fromDraft;  // tap counts belong to the areas as published: hidden once they change
  const board = drawingBoard({
    size: menu.size, areas, editable: canDraw,
    taps: (i) => (taps && showTaps.checked && !dirty ? tapsOf.get(i) ?? 0 : null),
    onChange: (kind) => {
      if (kind === "full") { toast(`領域は${MAX_AREAS}個までです。`, "error"); return; }
      if (kind !== "select") changed();
      drawForms();
    },
  });
  const changed = () => {
    if (!dirty) status.replaceChildren(h("p", { class: "notice", role: "status" }, "保存していない変更があります。保存すると、公開できるかどうかをここに表示します。"));
    dirty = true;
    sessionStorage.setItem(DRAFT, JSON.stringify({ id: menu.id, updated_at: menu.updated_at, areas }));
  };
  showTaps.addEventListener("change", () => board.redraw());

  function actionForm(area, i) {
    const a = area.action;
    const kindOf = a.type === "uri" && a.uri.startsWith(LIFF) ? "liff" : a.type;
    const kind = h("select", { name: `areas.${i}.action.type` },
      KINDS.map(([v, l]) => h("option", { value: v, selected: v === kindOf }, l)),
      a.type === "datetimepicker" ? h("option", { value: "datetimepicker", selected: true }, "日時を選ぶ（このまま残します）") : null);
    const inputs = h("div", { class: "action-inputs" });
    const input = (key, label, value, attrs = {}) => {
      const el = h("input", { name: `areas.${i}.action.${key}`, value: value ?? "", ...attrs });
      el.addEventListener("input", () => { area.action[key] = el.value || (key === "display_text" ? null : ""); if (area.action[key] === null) delete area.action[key]; changed(); });
      return field(label, el);
    };
    const draw = () => {
      const k = kind.value;
      inputs.replaceChildren();
      if (k === "message") {
        area.action = { type: "message", text: area.action.text ?? area.label ?? "" };
        inputs.append(input("text", "送る文（利用者が送ったことになります）", area.action.text, { maxlength: 300 }));
      } else if (k === "uri") {
        area.action = { type: "uri", uri: area.action.uri ?? "https://" };
        inputs.append(input("uri", "開くURL（https://、tel:、mailto:）", area.action.uri, { maxlength: 1000, type: "url" }));
      } else if (k === "liff") {
        area.action = { type: "uri", uri: area.action.uri?.startsWith(LIFF) ? area.action.uri : options.liff_pages[0]?.value || LIFF };
        const url = input("uri", "LIFF ページのURL（https://liff.line.me/…）", area.action.uri, { maxlength: 1000, type: "url" });
        if (options.liff_pages.length) {
          const pick = h("select", {}, h("option", { value: "" }, "一覧から選ぶ"), options.liff_pages.map((p) => h("option", { value: p.value, selected: p.value === area.action.uri }, p.label)));
          pick.addEventListener("change", () => { if (pick.value) { area.action.uri = pick.value; url.querySelector("input").value = pick.value; changed(); } });
          inputs.append(field("町の LIFF ページ", pick));
        }
        inputs.append(url);
      } else if (k === "postback") {
        area.action = { type: "postback", data: area.action.data && !area.action.data.startsWith(SWITCH) ? area.action.data : options.flows[0]?.value || "", ...(area.action.display_text ? { display_text: area.action.display_text } : {}) };
        const known = options.flows.some((f) => f.value === area.action.data);
        const flow = h("select", { name: `areas.${i}.flow` }, options.flows.map((f) => h("option", { value: f.value, selected: f.value === area.action.data }, f.label)),
          h("option", { value: "", selected: !known }, "その他（データを入力）"));
        const data = input("data", "ボットに届くデータ", area.action.data, { maxlength: 300 });
        data.hidden = known;
        flow.addEventListener("change", () => { data.hidden = !!flow.value; if (flow.value) { area.action.data = flow.value; data.querySelector("input").value = flow.value; } changed(); });
        inputs.append(field("始める機能", flow), data, input("display_text", "タップしたときトークに表示する文（任意）", area.action.display_text, { maxlength: 300 }));
      } else if (k === "richmenuswitch") {
        const others = all.filter((m) => m.id !== menu.id);
        const target = others.some((m) => m.id === area.action.menu_id) ? area.action.menu_id : others[0]?.id;
        area.action = { type: "richmenuswitch", menu_id: target, data: `${SWITCH}${target}` };
        const pick = h("select", { name: `areas.${i}.action.menu_id` }, others.map((m) => h("option", { value: m.id, selected: m.id === target }, m.name)));
        pick.addEventListener("change", () => { area.action = { type: "richmenuswitch", menu_id: Number(pick.value), data: `${SWITCH}${pick.value}` }; changed(); });
        inputs.append(others.length ? field("切り替え先のメニュー", pick) : h("p", { class: "hint" }, "切り替え先にできるメニューがまだありません。"));
      }
    };
    kind.addEventListener("change", () => { if (kind.value !== kindOf) area.action = { type: kind.value }; draw(); changed(); });
    draw();
    return [field("タップしたときの動作", kind), inputs];
  }

  const count = h("h2", {});
  function drawForms() {
    count.textContent = `領域（${areas.length} / ${MAX_AREAS}）`;
    list.replaceChildren(...areas.map((area, i) => {
      const label = h("input", { name: `areas.${i}.label`, value: area.label || "", maxlength: 20 });
      label.addEventListener("input", () => { area.label = label.value || null; changed(); board.redraw(); });
      const num = (key, text) => {
        const el = h("input", { type: "number", class: "short", name: `areas.${i}.bounds.${key}`, value: area.bounds[key], min: key === "width" || key === "height" ? 1 : 0, max: 2500 });
        el.addEventListener("change", () => { area.bounds[key] = Number(el.value); changed(); board.redraw(); });
        return h("label", { class: "inline" }, text, el);
      };
      const on = i === board.selected;
      const kindName = (KINDS.find(([k]) => k === area.action.type) || [null, "日時を選ぶ"])[1];
      const item = h("li", { class: on ? "area-form selected" : "area-form", "data-index": i });
      const body = h("details", { open: on || areas.length <= 2 },
        h("summary", {}, h("h3", {}, `領域${i + 1}${area.label ? `（${area.label}）` : ""}`, h("span", { class: "hint" }, `：${kindName}`),
          tapsOf.has(i) && taps ? h("span", { class: "hint" }, `（タップ ${tapsOf.get(i)}回）`) : null)),
        field("名前（読み上げ・統計に使います）", label),
        h("fieldset", { class: "bounds" }, h("legend", {}, "位置と大きさ（ピクセル）"), num("x", "左から"), num("y", "上から"), num("width", "幅"), num("height", "高さ")),
        ...actionForm(area, i),
        canDraw ? h("button", { type: "button", class: "danger", onclick: () => { areas.splice(i, 1); changed(); board.select(-1); } }, "この領域を削除") : null);
      item.append(body);
      if (!canDraw) item.querySelectorAll("input, select").forEach((e) => { e.disabled = true; });
      item.addEventListener("focusin", () => {
        if (board.selected === i) return;
        board.select(i, true);
        list.querySelectorAll(".area-form").forEach((li) => li.classList.toggle("selected", li === item));
      });
      return item;
    }));
    if (!areas.length) list.append(h("li", { class: "hint" }, canDraw ? "まだ領域がありません。画像の上をドラッグして作ってください。" : "領域はありません。"));
  }

  function showProblems(m) {
    status.replaceChildren(m.problems.length
      ? h("div", { class: "notice", role: "status" }, h("p", {}, "公開する前に直すところがあります。"), h("ul", {}, m.problems.map((p) => h("li", {}, p.message))))
      : h("p", { class: "publishable", role: "status" }, "このメニューは公開できます。"));
  }

  // The image: upload a file, or render tiles with the preview endpoint and use the result.
  async function useImage(blob, newAreas) {
    try {
      const out = await api("PUT", `/richmenus/${menu.id}/image`, blob);
      let saved = out;
      if (newAreas && !areas.length) saved = await api("PATCH", `/richmenus/${menu.id}`, { areas: newAreas });
      toast("画像を保存しました。");
      reopen(saved);
    } catch (err) { toast(err.message, "error"); imageBox.prepend(h("p", { class: "field-error", role: "alert" }, err.message)); }
  }
  const file = h("input", { type: "file", name: "image", accept: "image/png,image/jpeg" });
  file.addEventListener("change", () => { if (file.files[0]) useImage(file.files[0]); });
  const tiles = tileBuilder(menu, useImage);
  const imageBox = h("section", { class: "card image-tools", "aria-labelledby": "image-tools-h" },
    h("h2", { id: "image-tools-h" }, "画像"),
    tiled ? h("p", { class: "notice" }, "このメニューはタイル配置から作られています。領域を自分で描くには、いまの画像を固定してください（タイル配置はやめます）。",
      editable ? h("button", { type: "button", class: "secondary", onclick: async () => {
        if (!(await confirmAction("タイル配置をやめて、いまの画像と領域に固定します。このメニューをタイル配置に戻すことはできません。よろしいですか。", "固定する"))) return;
        useImage(await api("GET", `/richmenus/${menu.id}/image`));
      } }, "画像を固定して領域を編集する") : null) : null,
    editable ? field("画像をアップロード（PNG か JPEG、幅 800〜2500 ピクセル、1MB まで）", file) : null,
    editable ? tiles : null);

  // Tabs side by side: the other menus of the group, each opens in the editor.
  const tabs = menu.group_id ? all.filter((m) => m.group_id === menu.group_id).sort((a, b) => a.tab_position - b.tab_position || a.id - b.id) : [];
  const tabStrip = tabs.length > 1 ? h("section", { class: "card", "aria-labelledby": "tabs-h" }, h("h2", { id: "tabs-h" }, "同じグループのタブ"),
    h("ul", { class: "tab-strip" }, tabs.map((m) => {
      const img = h("img", { alt: "" });
      imageUrl(m).then((u) => { if (u) img.src = u; });
      return h("li", { class: m.id === menu.id ? "current" : "" }, img,
        m.id === menu.id ? h("strong", {}, `${m.tab_label || m.name}（編集中）`)
          : h("button", { type: "button", class: "secondary", onclick: () => reopen(m) }, `「${m.tab_label || m.name}」を開く`));
    }))) : null;

  const form = h("form", { class: "editor richmenu-editor", novalidate: true },
    h("h1", {}, `リッチメニュー「${menu.name}」`),
    editable ? null : h("p", { class: "notice" }, "閲覧のみの権限のため、このメニューは変更できません。"),
    fromDraft ? h("p", { class: "notice", role: "status" }, "保存していない編集を復元しました。") : null,
    h("div", { class: "editor-cols" },
      h("div", { class: "editor-main" },
        menu.image ? board.element : h("p", { class: "notice" }, "まだ画像がありません。下でアップロードするか、タイルから作ってください。"),
        taps && menu.image ? h("label", { class: "inline check" }, showTaps, "タップ数（過去30日、公開した領域ごと）を画像に重ねて表示") : null,
        status, imageBox, tabStrip),
      h("div", { class: "editor-side" },
        h("h2", {}, "基本"),
        field("名前（管理用）", name), field("トーク画面下部の文字（14文字以内）", chatBar),
        h("label", { class: "inline check" }, selected, "トークを開いたときメニューを開いておく"),
        field("タブのグループ", group), field("タブの表示名（20文字以内）", tabLabel),
        count, list)),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "secondary", onclick: () => back() }, "一覧に戻る"),
      editable && !tiled ? h("button", { type: "submit" }, "保存する") : null,
      editable && tiled ? h("button", { type: "submit" }, "名前・タブを保存する") : null));
  if (!editable) form.querySelectorAll(".editor-side input, .editor-side select").forEach((e) => { e.disabled = true; });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault(); clearErrors(form);
    const body = { name: name.value, chat_bar_text: chatBar.value, selected: selected.checked };
    const gid = group.value ? Number(group.value) : null;
    if (gid !== menu.group_id) body.group_id = gid;
    if ((tabLabel.value || null) !== menu.tab_label) body.tab_label = tabLabel.value || null;
    if (!tiled) body.areas = areas.map((a) => ({ bounds: a.bounds, action: a.action, ...(a.label ? { label: a.label } : {}) }));
    try {
      const out = await api("PATCH", `/richmenus/${menu.id}`, body);
      sessionStorage.removeItem(DRAFT);
      toast(`「${out.name}」を保存しました。`);
      reopen(out);
    } catch (err) {
      // pydantic names the action's type in the path (areas.2.action.uri.uri): the input is areas.2.action.uri
      const where = (err.field || "").replace(/^(areas\.\d+\.action)\.[a-z]+\.(.+)$/, "$1.$2");
      const m = /^areas\.(\d+)\./.exec(where);
      if (m) board.select(Number(m[1]));  // opens that area's form
      showError(form, { message: err.message, field: where || null });
    }
  });
  main.replaceChildren(form);
  drawForms();
  if (fromDraft) changed(); else showProblems(menu);
  if (menu.image) imageUrl(menu).then((u) => { board.image.src = u; });
}

// Tiles → POST /richmenus/preview → the PNG shown; 「この画像を使う」 uploads it (and makes one area per
// tile when the menu has none yet).
function tileBuilder(menu, useImage) {
  const compact = menu.size.height < 1000;
  const columns = h("input", { type: "number", class: "short", min: 1, max: 6, value: 3, name: "layout.columns" });
  const rows = h("input", { type: "number", class: "short", min: 1, max: 4, value: compact ? 1 : 2, name: "layout.rows" });
  const list = h("ol", { class: "tiles" });
  const preview = h("div", { class: "tile-preview", "aria-live": "polite" });
  const addTile = (label = "") => {
    const n = list.children.length;
    const text = h("input", { name: `layout.tiles.${n}.label`, value: label, maxlength: 12, "aria-label": `タイル${n + 1}の文字` });
    const icon = h("select", { "aria-label": `タイル${n + 1}の絵` }, ICONS.map(([v, l]) => h("option", { value: v }, l)));
    const color = h("input", { type: "color", value: PALETTE[n % PALETTE.length], "aria-label": `タイル${n + 1}の色` });
    const li = h("li", { class: "tile-row" }, text, icon, color,
      h("button", { type: "button", class: "secondary", onclick: () => li.remove() }, "削除"));
    li.read = () => ({ label: text.value, color: color.value.toUpperCase(), columns: 1, ...(icon.value ? { icon: icon.value } : {}), action: { type: "message", text: text.value || "-" } });
    list.append(li);
  };
  ["ごみ", "施設", "お知らせ", "予約", "よくある質問", "手続き"].slice(0, compact ? 3 : 6).forEach((l) => addTile(l));
  const layout = () => ({ size: compact ? "compact" : "full", columns: Number(columns.value), rows: Number(rows.value), tiles: [...list.children].map((li) => li.read()) });
  const box = h("details", { class: "tile-builder" }, h("summary", {}, "タイルから画像を作る"),
    h("p", { class: "hint" }, "文字・絵・色を決めたタイルを並べた画像を作ります。作った画像を使うと、領域がまだないときはタイルごとに領域も作ります。"),
    h("div", { class: "toolbar" }, field("列の数", columns), field("行の数", rows)), list,
    h("div", { class: "row-actions" },
      h("button", { type: "button", class: "secondary", onclick: () => addTile() }, "タイルを追加"),
      h("button", { type: "button", onclick: render }, "プレビューを作る")), preview);
  async function render() {
    clearErrors(box);
    preview.replaceChildren(h("p", { class: "hint" }, "画像を作っています…"));
    const lay = layout();
    try {
      const blob = await api("POST", "/richmenus/preview", { layout: lay });
      const url = URL.createObjectURL(blob);
      preview.replaceChildren(h("img", { src: url, alt: "タイルから作った画像のプレビュー", class: "menu-image" }),
        h("button", { type: "button", onclick: () => useImage(blob, tileAreas(lay, menu.size)) }, "この画像を使う"));
    } catch (err) { preview.replaceChildren(); showError(box, err); }
  }
  return box;
}

export async function confirmDelete(menu) {
  return confirmAction(`リッチメニュー「${menu.name}」を削除します。元に戻せません。よろしいですか。`, "削除する");
}
