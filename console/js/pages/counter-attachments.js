// 添付書類 (小郡市 spec §(4) e, f; §(5) q, t, u, v): papers attached to a 届書 — the certificate read by
// OCR, a 委任状, others — uploaded as an image or PDF, from the 届書 and from a search result. Each is kept
// with a masked version: the numbers of a paper read with a layout are masked by kind, and staff draw
// more rectangles over the page. Who may see the original is decided by the role (counter.numbers).
import { api, download } from "../api.js";
import { h, field, showError, clearErrors, toast, confirmAction } from "../ui.js";

const KINDS = { tenshutsu: "転出証明書", zairyu: "在留カード・特別永住者証明書", menkyo: "運転免許証",
  mynumber: "マイナンバーカード", ininjo: "委任状", other: "その他の書類" };
const MASKS = { individual_number: "個人番号", resident_code: "住民票コード", card_number: "在留カード番号", honseki: "本籍" };

function maskChoices(name, chosen) {
  return h("fieldset", { class: "inline-fields" }, h("legend", {}, "隠す項目（定義体で位置のわかる書類・OCR で探した番号）"),
    Object.entries(MASKS).map(([k, v]) => h("label", {}, h("input", { type: "checkbox", name, value: k, checked: chosen.includes(k) }), ` ${v}`)));
}
// Position through the CSSOM (the console's CSP refuses style attributes).
function place(el, [l, t, w, hh]) {
  Object.assign(el.style, { left: `${l * 100}%`, top: `${t * 100}%`, width: `${w * 100}%`, height: `${hh * 100}%` });
  return el;
}
const chosenKinds = (root, name) => [...root.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);

// One page with its rectangles: drag on the image to draw one; each can be removed from the list.
function maskEditor(att, base, ctx, refresh) {
  const drawn = att.drawn.map((r) => ({ page: r.page, box: [...r.box] }));
  let page = 0;
  const img = h("img", { alt: `${att.kind_label}の ${page + 1} ページ目（マスキング版）`, class: "attachment-page", draggable: "false" });
  const stage = h("div", { class: "mask-stage" }, img);
  const list = h("ul", { "aria-live": "polite" });
  const editable = ctx.can("counter.write");
  const pages = h("select", { "aria-label": "ページ" }, Array.from({ length: att.pages }, (_, i) => h("option", { value: String(i) }, `${i + 1} ページ`)));
  async function load() {
    const blob = await api("GET", `${base}/pages/${page}.png?version=masked`);
    img.src = URL.createObjectURL(blob);
    img.alt = `${att.kind_label}の ${page + 1} ページ目（マスキング版）`;
    paint();
  }
  function paint() {
    stage.querySelectorAll(".mask-rect").forEach((el) => el.remove());
    drawn.forEach((r) => {
      if (r.page !== page) return;
      stage.append(place(h("div", { class: "mask-rect" }), r.box));
    });
    list.replaceChildren(...(drawn.length ? [] : [h("li", {}, "まだありません。")]), ...drawn.map((r, i) => h("li", {}, `${r.page + 1} ページ: 左 ${Math.round(r.box[0] * 100)}%・上 ${Math.round(r.box[1] * 100)}%・幅 ${Math.round(r.box[2] * 100)}%・高さ ${Math.round(r.box[3] * 100)}% `,
      editable ? h("button", { type: "button", class: "link", onclick: () => { drawn.splice(i, 1); paint(); } }, `長方形 ${i + 1} を消す`) : null)));
  }
  pages.addEventListener("change", () => { page = Number(pages.value); load().catch((err) => toast(err.message, "error")); });
  if (editable) {
    let from = null; let ghost = null;
    const at = (ev) => { const b = img.getBoundingClientRect(); return [Math.min(1, Math.max(0, (ev.clientX - b.left) / b.width)), Math.min(1, Math.max(0, (ev.clientY - b.top) / b.height))]; };
    const boxOf = (a, b) => [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.abs(a[0] - b[0]), Math.abs(a[1] - b[1])];
    stage.addEventListener("pointerdown", (ev) => { ev.preventDefault(); from = at(ev); ghost = h("div", { class: "mask-rect drawing" }); stage.append(ghost); stage.setPointerCapture(ev.pointerId); });
    stage.addEventListener("pointermove", (ev) => {
      if (!from) return;
      place(ghost, boxOf(from, at(ev)));
    });
    stage.addEventListener("pointerup", (ev) => {
      if (!from) return;
      const box = boxOf(from, at(ev)).map((v) => Math.round(v * 10000) / 10000);
      from = null; ghost.remove();
      if (box[2] > 0.005 && box[3] > 0.005) { drawn.push({ page, box }); paint(); }
    });
  }
  const kinds = maskChoices(`kinds-${att.id}`, att.kinds);
  const form = h("form", { novalidate: true });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault(); clearErrors(form);
    try {
      await api("PATCH", base, { kinds: chosenKinds(form, `kinds-${att.id}`), rects: drawn });
      toast("マスキングを保存しました。"); await refresh();
    } catch (err) { showError(form, err); }
  });
  form.append(...[editable ? h("p", { class: "hint" }, "画像の上をドラッグすると、隠す長方形を描けます。保存すると、マスキング版のその部分が黒く塗られます。") : null,
    att.pages > 1 ? field("ページ", pages) : null, stage, h("h5", {}, "描いた長方形"), list,
    att.layout || att.auto.length ? kinds : null, editable ? h("div", { class: "actions" }, h("button", { type: "submit" }, "マスキングを保存")) : null]
    .filter(Boolean));
  load().catch((err) => toast(err.message, "error"));
  return form;
}

// The certificate just read by OCR, kept on the 届書 made from it: its numbers masked from the layout.
export async function attachRead(formId, read) {
  const body = new FormData();
  body.append("file", read.file); body.append("kind", read.kind); body.append("layout", read.layout);
  return api("POST", `/counter/forms/${formId}/attachments`, body);
}

let made = 0;

// The section for one 届書 (`f`: at least id and number); `inline`: inside a search result (no landmark of
// its own, so the open 届書's section stays the one region named 添付書類).
export async function attachmentsSection(f, ctx, { inline = false } = {}) {
  const heading = `c-att-${f.id}-${++made}`;
  const section = inline ? h("div", { class: "section" }, h("h3", { id: heading }, `添付書類（${f.number}）`))
    : h("section", { class: "section", "aria-labelledby": heading }, h("h3", { id: heading }, `添付書類（${f.number}）`));
  const base = `/counter/forms/${f.id}/attachments`;
  const listed = h("div", { "aria-live": "polite" });
  const viewer = h("div", {});
  async function refresh() {
    let rows;
    try { rows = await api("GET", base); } catch (err) { listed.replaceChildren(h("p", { class: "field-error", role: "alert" }, err.message)); return; }
    viewer.replaceChildren();
    listed.replaceChildren(rows.length ? h("ul", {}, rows.map((a) => h("li", {},
      `${a.kind_label}${a.note ? `「${a.note}」` : ""}（${a.pages} ページ、${a.created_by}、マスキング: ${[...a.kinds.filter((k) => a.auto.some((r) => r.kind === k)).map((k) => MASKS[k]), a.drawn.length ? `長方形 ${a.drawn.length}` : ""].filter(Boolean).join("・") || "なし"}）`, " ",
      h("button", { type: "button", class: "link", onclick: () => viewer.replaceChildren(h("h4", {}, `${a.kind_label}（マスキング版）`), maskEditor(a, `${base}/${a.id}`, ctx, refresh)) }, `${a.kind_label}のマスキング版を見る`), " ",
      h("button", { type: "button", class: "link", onclick: () => download(`${base}/${a.id}.pdf?version=masked`, `${a.kind_label}-マスキング済み.pdf`).catch((err) => toast(err.message, "error")) }, "マスキング版 PDF を保存"),
      a.versions.includes("full") ? [" ", h("button", { type: "button", class: "link", onclick: () => download(`${base}/${a.id}.pdf?version=full`, `${a.kind_label}.pdf`).catch((err) => toast(err.message, "error")) }, "原本 PDF を保存")] : null,
      removable ? [" ", h("button", { type: "button", class: "link", onclick: () => remove(a) }, `${a.kind_label}の添付を削除`)] : null)))
      : h("p", { class: "hint" }, "添付書類はまだありません。"));
  }
  // A finished 届書 (完了) keeps its papers: the API refuses, so the button is not offered.
  const removable = ctx.can("counter.write") && f.status !== "done";
  async function remove(a) {
    if (!await confirmAction(`添付書類「${a.kind_label}${a.note ? `（${a.note}）` : ""}」を削除しますか。原本とマスキング版の両方が消え、元に戻せません。`, "削除する")) return;
    try { await api("DELETE", `${base}/${a.id}`); toast("添付書類を削除しました。"); await refresh(); } catch (err) { toast(err.message, "error"); }
  }
  section.append(listed);
  if (ctx.can("counter.write")) {
    const file = h("input", { type: "file", name: "file", accept: "image/jpeg,image/png,application/pdf" });
    const kind = h("select", { name: "kind" }, Object.entries(KINDS).map(([k, v]) => h("option", { value: k }, v)));
    const note = h("input", { name: "note", maxlength: "500" });
    const search = h("input", { type: "checkbox", name: "search", checked: true });
    const form = h("form", { novalidate: true }, h("div", { class: "toolbar" }, field("添付の種類", kind), field("ファイル（画像・PDF）", file), field("添付のメモ", note)),
      maskChoices("kinds", Object.keys(MASKS)),
      h("p", {}, h("label", {}, search, " 定義体のない書類（委任状など）は、隠す項目の番号を OCR で探して隠す（1ページ数秒、文字の多いページは20秒ほど）")),
      h("button", { type: "submit" }, "添付する"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault(); clearErrors(form);
      if (!file.files.length) { showError(form, { field: "file", message: "添付する画像か PDF を選んでください。" }); return; }
      const body = new FormData();
      body.append("file", file.files[0]); body.append("kind", kind.value); body.append("note", note.value);
      body.append("kinds", chosenKinds(form, "kinds").join(","));
      if (search.checked) body.append("search", "1");
      try { await api("POST", base, body); toast("添付しました。"); file.value = ""; note.value = ""; await refresh(); } catch (err) { showError(form, err); }
    });
    section.append(h("h4", {}, "書類を添付する"), form);
  }
  section.append(viewer);
  await refresh();
  return section;
}
