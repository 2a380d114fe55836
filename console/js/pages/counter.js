// 書かない窓口 (issue #23; 小郡市 spec (4), (5)): a 届書 made from the resident's QR code, from a document
// read by OCR (shown beside the image to confirm and correct) or typed; checked by the API (errors beside
// the field, check digits included); shown in the 届書's layout (a click on a box jumps to its input);
// process states with who and when; search; the PDF in the town's layout (masked by role).
import { api, download } from "../api.js";
import { h, field, showError, clearErrors, toast, confirmAction } from "../ui.js";
import { enhanceCounterForm } from "./counter-aids.js";
import { relatedForms } from "./counter-related.js";
import { layoutChoice } from "./counter-layout-choice.js";
import { attachRead, attachmentsSection } from "./counter-attachments.js";

const KINDS = { tennyu: "転入", tokurei_tennyu: "特例転入", kokugai_tennyu: "国外転入", tenkyo: "転居",
  tenshutsu: "転出", setai_henko: "世帯変更", shokken: "職権記載" };
const STATUSES = { drafting: "作成中", review: "確認待ち", returned: "差戻", held: "保留", done: "完了" };
const DOCS = { tenshutsu: "転出証明書", zairyu: "在留カード・特別永住者証明書", menkyo: "運転免許証",
  mynumber: "マイナンバーカード（表面）" };
// State buttons: [next state, label, permission].
const MOVES = [["review", "確認待ちにする", "counter.write"], ["returned", "差戻にする", "counter.review"],
  ["held", "保留にする", "counter.write"], ["drafting", "作成中に戻す", "counter.write"],
  ["done", "完了にする", "counter.review"]];
const PHRASES = ["転出証明書の原本を確認しました。", "委任状により代理人が届出。", "マイナンバーカードの住所変更（券面記載）済み。"];
const FOREIGN_ONLY = ["stay_status", "stay_period", "stay_until", "card_number", "alias"];
const JAPANESE_ONLY = ["honseki", "hittousha"];
const MEMBER_FIELDS = [
  ["name", "氏名"], ["kana", "ふりがな"], ["birth_date", "生年月日", "西暦でも和暦でも（例: 令和4年12月1日、R4.12.1、2022-12-01）"],
  ["sex", "性別"], ["relationship", "続柄"], ["nationality", "国籍・地域", "日本の方は空欄か「日本」"],
  ["resident_code", "住民票コード", "11桁"], ["individual_number", "個人番号", "12桁"],
  ["honseki", "本籍"], ["hittousha", "筆頭者"], ["alias", "通称"], ["stay_status", "在留資格"],
  ["stay_period", "在留期間コード", "7桁（例: 0500000）"], ["stay_until", "在留期間の満了日"],
  ["card_number", "在留カード等の番号"]];

function emptyMember() { return Object.fromEntries(MEMBER_FIELDS.map(([k]) => [k, ""])); }
function clock(iso) {
  const d = new Date(iso);
  return `${d.getFullYear()}/${d.getMonth() + 1}/${d.getDate()} ${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}
function formId() { return new URLSearchParams(location.hash.split("?")[1] || "").get("id"); }
function openForm(id) { location.hash = `#/counter?id=${id}`; }

// What OCR read → the 届書's fields (where each named field of a layout goes).
function applyOcr(doc, kind, values) {
  const h_ = doc.household; const ms = doc.members;
  const member = (i) => { while (ms.length <= i) ms.push(emptyMember()); return ms[i]; };
  for (const [key, v] of Object.entries(values)) {
    if (!v) continue;
    // name, kana, … are the certificate's first person; name2 … name8 its N-th person (member N-1).
    const m = key.match(/^(name|kana|birth_date|sex|relationship|resident_code)(\d*)$/);
    if (m) { member(m[2] ? Math.max(0, Number(m[2]) - 1) : 0)[m[1]] = v; continue; }
    if (key === "head" || key === "moved_on") h_[key] = v;
    else if (key === "issuer") h_.origin = v.replace(/長$/, "");
    else if (key === "new_address") h_.new_address.text = v;
    else if (key === "address") (kind === "zairyu" ? h_.new_address : h_.old_address).text = v;
    else if (["nationality", "stay_status", "stay_until", "card_number"].includes(key)) member(0)[key] = v;
  }
  if (kind === "tenshutsu" && !h_.head && ms[0]) h_.head = ms[0].name;
  return doc;
}

function blankDoc(kind) {
  return { kind, household: { head: "", moved_on: "", origin: "", remarks: "", confirmation: "", memo: "", phone: "",
    new_address: { postal_code: "", text: "" }, old_address: { postal_code: "", text: "" } }, members: [emptyMember()] };
}

export default async function counter(main, ctx) {
  const id = formId();
  main.replaceChildren(h("h1", {}, ctx.title));
  const start = h("section", { class: "section", "aria-labelledby": "c-new" }, h("h2", { id: "c-new" }, "新しい届書"));
  const ocr = h("section", { class: "section", "aria-labelledby": "c-ocr" }, h("h2", { id: "c-ocr" }, "持参書類の読み取り（OCR）"));
  const found = h("section", { class: "section", "aria-labelledby": "c-search" }, h("h2", { id: "c-search" }, "届書の検索"));
  const editor = h("section", { class: "section", "aria-labelledby": "c-form" });
  if (ctx.can("counter.write")) main.append(start, ocr);
  main.append(editor, found);
  let current = null;  // the 届書 being edited (the API's answer)
  const folds = { id: null, open: new Map() };  // members staff opened or closed, kept over a save of the same 届書
  let jumpTo = () => {};

  // -- a new 届書: from the QR code, or typed (OCR skipped, §(5) g) ------------------------------------
  const qrText = h("textarea", { name: "texts", rows: "3", required: true });
  const qrForm = h("form", { novalidate: true }, field("二次元コードの内容", qrText,
    "窓口のスキャナーで読み取った内容（MD1: で始まる文字）。分割されたコードは改行で続けてください。"),
  h("button", { type: "submit" }, "二次元コードから届書を作る"));
  qrForm.addEventListener("submit", async (ev) => {
    ev.preventDefault(); clearErrors(qrForm);
    try {
      const made = await api("POST", "/counter/qr", { texts: qrText.value.split(/\n+/).filter((t) => t.trim()) });
      toast(`届書 ${made.number} を作りました。`); openForm(made.id);
    } catch (err) { showError(qrForm, err); }
  });
  const kind = h("select", { name: "kind" }, Object.entries(KINDS).map(([k, v]) => h("option", { value: k }, v)));
  const typed = h("form", { novalidate: true, class: "toolbar" }, field("届出の種類", kind),
    h("button", { type: "submit" }, "手入力で作る（OCR をとばす）"));
  typed.addEventListener("submit", async (ev) => {
    ev.preventDefault(); clearErrors(typed);
    try { const made = await api("POST", "/counter/forms", { ...blankDoc(kind.value), source: "typed" }); openForm(made.id); }
    catch (err) { showError(typed, err); }
  });
  start.append(h("div", { class: "grid" }, h("div", { class: "card" }, qrForm), h("div", { class: "card" }, typed)));

  // -- OCR: the image beside what was read, to confirm and correct (§(5) f) -----------------------------
  const docKind = h("select", { name: "kind" }, Object.entries(DOCS).map(([k, v]) => h("option", { value: k }, v)));
  const file = h("input", { type: "file", name: "image", accept: "image/*", capture: "environment" });
  const layoutSel = layoutChoice(docKind);
  const ocrForm = h("form", { novalidate: true, class: "toolbar" }, field("書類の種類", docKind), layoutSel.field, field("書類の画像", file),
    h("button", { type: "submit" }, "読み取る"));
  const ocrOut = h("div", { "aria-live": "polite" });
  ocr.append(ocrForm, ocrOut);
  ocrForm.addEventListener("submit", async (ev) => {
    ev.preventDefault(); clearErrors(ocrForm);
    if (!file.files.length) { showError(ocrForm, { field: "image", message: "書類の画像を選んでください。" }); return; }
    const body = new FormData(); body.append("image", file.files[0]); body.append("kind", docKind.value);
    if (layoutSel.value()) body.append("layout", layoutSel.value());
    ocrOut.replaceChildren(h("p", { class: "hint" }, "読み取っています…"));
    let read;
    try {
      const res = await fetch("/admin/api/v1/counter/ocr", { method: "POST", body,
        headers: { Authorization: `Bearer ${sessionStorage.getItem("madoguchi.console.token")}` } });
      read = await res.json();
      if (!res.ok) { ocrOut.replaceChildren(); showError(ocrForm, read.error || { message: "読み取れませんでした。" }); return; }
    } catch { ocrOut.replaceChildren(h("p", { class: "field-error", role: "alert" }, "サーバーに接続できません。")); return; }
    const inputs = {};
    const rows = Object.entries(read.fields).map(([key, v]) => {
      const input = h("input", { name: `ocr.${key}`, value: v.value });
      inputs[key] = input;
      const low = v.confidence < 0.6;
      return h("tr", {}, h("th", { scope: "row" }, h("label", { for: input.id || (input.id = `ocr-${key}`) }, v.label || key)),
        h("td", {}, input), h("td", {}, v.blank ? "空欄（印字なし）" : `${Math.round(v.confidence * 100)}%${low ? "（要確認）" : ""}`));
    });
    const apply = h("button", { type: "button", onclick: async () => {
      const values = Object.fromEntries(Object.entries(inputs).map(([k, i]) => [k, i.value.trim()]));
      const target = current && current.status !== "done" ? current : null;
      const docKindValue = read.kind;
      const base = target ? { kind: target.kind, household: structuredClone(target.household), members: structuredClone(target.members) }
        : blankDoc(docKindValue === "tenshutsu" ? "tennyu" : docKindValue === "zairyu" ? "kokugai_tennyu" : "tenkyo");
      if (!target) base.members = [];
      const doc = applyOcr(base, docKindValue, values);
      // The document read is kept as an attachment of the 届書, its numbers masked from the layout (§(4) e).
      const keep = async (fid) => { if (keepRead.checked) await attachRead(fid, { file: scanned, kind: read.kind, layout: read.layout }); };
      try {
        if (target) { await api("PATCH", `/counter/forms/${target.id}`, doc); await keep(target.id); toast("読み取った内容を反映しました。"); await showForm(target.id); }
        else { const made = await api("POST", "/counter/forms", { ...doc, source: `ocr:${docKindValue}` }); await keep(made.id); openForm(made.id); }
      } catch (err) { toast(err.message, "error"); if (target) await showForm(target.id, err); }
    } }, current ? "読み取った内容を届書に反映" : "読み取った内容で届書を作る");
    const scanned = file.files[0];
    const keepRead = h("input", { type: "checkbox", name: "keep", checked: true });
    // The image stays beside the table while staff scroll a household's rows, as large as the column; the
    // link opens it full size to compare a small print.
    const imageUrl = URL.createObjectURL(file.files[0]);
    const preview = h("div", { class: "ocr-preview" }, h("img", { src: imageUrl, alt: `読み取った${DOCS[read.kind]}の画像` }),
      h("a", { href: imageUrl, target: "_blank", rel: "noopener" }, "画像を別のタブで原寸表示する"));
    ocrOut.replaceChildren(h("p", { class: "hint" }, `定義体 ${read.layout}（${read.engine}、${read.seconds}秒）。読み取った値を画像と見比べ、直してから反映してください。`),
      h("div", { class: "split" }, h("div", { class: "table-wrap" }, h("table", {}, h("caption", {}, "読み取った項目"),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "項目"), h("th", { scope: "col" }, "値"), h("th", { scope: "col" }, "確からしさ"))),
        h("tbody", {}, rows))), preview), h("div", { class: "actions" },
        h("label", {}, keepRead, " 読み取った書類を添付書類として保存する（番号はマスキング版でも隠します）"), apply));
  });

  // -- search (§(5) p) ----------------------------------------------------------------------------------
  const q = h("input", { type: "search", name: "q" });
  const status = h("select", { name: "status" }, h("option", { value: "" }, "すべて"),
    Object.entries(STATUSES).map(([k, v]) => h("option", { value: k }, v)));
  const searchForm = h("form", { novalidate: true, class: "toolbar" }, field("氏名・ふりがな・番号・住所", q), field("状態", status),
    h("button", { type: "submit" }, "検索"));
  const results = h("div", { class: "table-wrap", "aria-live": "polite" });
  found.append(searchForm, results);
  async function search() {
    clearErrors(searchForm);
    try {
      const rows = await api("GET", `/counter/forms?${new URLSearchParams({ q: q.value, status: status.value })}`);
      results.replaceChildren(rows.length ? h("table", {}, h("caption", {}, `検索結果 ${rows.length}件`),
        h("thead", {}, h("tr", {}, ["受付番号", "種類", "状態", "世帯主", "転入前", "受付日時", "操作"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows.map((r) => {
          const row = h("tr", {}, h("td", {}, r.number), h("td", {}, r.kind_label), h("td", {}, r.status_label),
            h("td", {}, r.head || r.names.join("、")), h("td", {}, r.origin), h("td", {}, clock(r.created_at)),
            h("td", {}, h("a", { href: `#/counter?id=${r.id}` }, `${r.number} を開く`), " ",
              h("button", { type: "button", class: "link", "aria-expanded": "false", onclick: (ev) => extra(r, row, ev.target) }, `${r.number} のメモ・添付書類`)));
          return row;
        }))) : h("p", { class: "hint" }, "該当する届書はありません。"));
    } catch (err) { showError(searchForm, err); }
  }
  // Memos and attachments added from a search result (§(5) q, t), without opening the 届書.
  async function extra(r, row, button) {
    const open = row.nextElementSibling?.dataset.extra === String(r.id);
    if (open) { row.nextElementSibling.remove(); button.setAttribute("aria-expanded", "false"); return; }
    const cell = h("td", { colspan: "7" });
    row.after(h("tr", { "data-extra": String(r.id) }, cell));
    button.setAttribute("aria-expanded", "true");
    if (ctx.can("counter.write")) {
      const memo = h("input", { name: "note", maxlength: "1000" });
      const memoForm = h("form", { novalidate: true, class: "toolbar" }, field(`${r.number} へのメモ`, memo), h("button", { type: "submit" }, "メモを追記"));
      memoForm.addEventListener("submit", async (ev) => {
        ev.preventDefault(); clearErrors(memoForm);
        if (!memo.value.trim()) { showError(memoForm, { field: "note", message: "メモを入力してください。" }); return; }
        try { await api("PATCH", `/counter/forms/${r.id}`, { note: memo.value }); memo.value = ""; toast("メモを追記しました。"); } catch (err) { showError(memoForm, err); }
      });
      cell.append(memoForm);
    }
    cell.append(await attachmentsSection(r, ctx, { inline: true }));
  }
  searchForm.addEventListener("submit", (ev) => { ev.preventDefault(); search(); });
  await search();

  // -- the 届書: inputs, layout view, states, history, PDF ---------------------------------------------
  async function showForm(fid, error) {
    let f;
    try { f = await api("GET", `/counter/forms/${fid}`); } catch (err) { editor.replaceChildren(h("p", { class: "field-error", role: "alert" }, err.message)); return; }
    current = f;
    const writable = ctx.can("counter.write") && f.status !== "done";
    const input = (name, value, attrs = {}) => h("input", { name, value: value || "", disabled: !writable, ...attrs });
    const hh = f.household;
    const form = h("form", { novalidate: true });
    const remarks = h("textarea", { name: "household.remarks", rows: "3", disabled: !writable }, hh.remarks);
    const phrase = h("select", { "aria-label": "備考の定型文", disabled: !writable, onchange: () => {
      if (phrase.value) remarks.value = (remarks.value ? `${remarks.value}\n` : "") + phrase.value; phrase.value = "";
    } }, h("option", { value: "" }, "定型文を追加…"), PHRASES.map((p) => h("option", { value: p }, p)));
    const kindSel = h("select", { name: "kind", disabled: !writable }, Object.entries(KINDS).map(([k, v]) =>
      h("option", { value: k, selected: k === f.kind }, v)));
    // A household of up to 8 is 8 × 15 inputs: each member folds to one line (氏名・生年月日・続柄 and
    // whether something is wrong); the first, the empty ones and those the API refused stay open.
    if (folds.id !== f.id) { folds.id = f.id; folds.open = new Map(); }
    const refused = error?.field?.match(/^members\.(\d+)/);
    const members = h("div", { class: "members" });
    const blocks = f.members.map((m, i) => {
      const foreign = f.shown.members[i]?.foreign;
      const shownM = f.shown.members[i] || {};
      const grid = h("div", { class: "inline-fields" });
      for (const [key, label, hint] of MEMBER_FIELDS) {
        const off = (foreign ? JAPANESE_ONLY : FOREIGN_ONLY).includes(key);
        let el;
        if (key === "sex") {
          el = h("select", { name: `members.${i}.sex`, disabled: !writable }, ["", "男", "女"].map((s) => h("option", { value: s, selected: m.sex === s }, s || "未選択")));
        } else {
          el = input(`members.${i}.${key}`, m[key], off ? { disabled: true, title: foreign ? "外国人の方には入力できない項目です" : "日本人の方には入力できない項目です" } : {});
        }
        let note = hint;
        if (key === "birth_date" && shownM.birth_text) note = `生年月日: ${shownM.birth_text}`;
        if (key === "stay_period" && shownM.stay_period_text) note = `在留期間: ${shownM.stay_period_text}`;
        if (off) note = foreign ? "外国人の方には入力できません" : "日本人の方には入力できません";
        grid.append(field(label, el, note));
      }
      const remove = writable && f.members.length > 1 ? h("div", { class: "row-actions" }, h("button", { type: "button", class: "danger",
        onclick: () => removeMember(i) }, `世帯員${i + 1}を削除`)) : null;
      const fs = h("fieldset", {}, h("legend", { class: "visually-hidden" }, `世帯員${i + 1}${m.name ? `（${m.name}）` : ""}`), grid, remove);
      const summary = h("summary", {});
      const missingHere = f.problems.filter((p) => p.field.startsWith(`members.${i}.`)).map((p) => p.field);
      const empty = MEMBER_FIELDS.every(([k]) => !m[k]);
      const open = folds.open.get(i) ?? (i === 0 || empty || f.members.length <= 2 || Number(refused?.[1]) === i);
      const block = h("details", { class: "card member", open, "data-member": String(i) }, summary, fs);
      // only what staff changed is kept (a block they opened stays open after a save; the rest follows the rule)
      block.addEventListener("toggle", () => { if (folds.open.has(i) || block.open !== open) folds.open.set(i, block.open); });
      // The line is redrawn as staff type, and when an error comes or goes.
      block.refresh = () => {
        const val = (k) => block.querySelector(`[name="members.${i}.${k}"]`)?.value.trim() ?? "";
        const name = val("name"); const kana = val("kana"); const birth = val("birth_date");
        const when = birth && birth === m.birth_date && shownM.birth_text ? shownM.birth_text.split("(")[0] : birth;
        const wrong = block.querySelector(".field-error");
        // missing as of the last save, and still empty now
        const left = missingHere.filter((n) => !block.querySelector(`[name="${n}"]`)?.value.trim()).length;
        summary.replaceChildren(...[h("span", { class: "member-no" }, `世帯員${i + 1}`),
          h("span", { class: "member-name" }, name ? `${name}${kana ? `（${kana}）` : ""}` : "氏名未入力"),
          when ? h("span", {}, when) : null, val("relationship") ? h("span", {}, val("relationship")) : null,
          wrong ? h("span", { class: "member-flag error" }, "入力に誤りがあります")
            : left ? h("span", { class: "member-flag" }, `未入力 ${left}件`) : null].filter(Boolean));
      };
      block.addEventListener("input", () => block.refresh());
      block.addEventListener("change", () => block.refresh());
      block.refresh();
      return block;
    });
    members.append(...blocks);
    const refreshAll = () => blocks.forEach((b) => b.refresh());
    // An error beside its field, the member holding it opened first (a closed <details> cannot take the focus).
    const showFormError = (err) => {
      const n = err.field?.match(/^members\.(\d+)/);
      if (n && blocks[Number(n[1])]) blocks[Number(n[1])].open = true;
      showError(form, err); refreshAll();
      // in the middle of the window, its message clear of the buttons kept at the bottom (a message with no
      // field is at the top of the form, far above them)
      (form.querySelector("[aria-invalid]") || form.querySelector(".field-error"))?.scrollIntoView({ block: "center" });
    };
    // To an input from the layout view or the list of missing items: its member opened, the input focused.
    jumpTo = (name) => {
      const el = form.querySelector(`[name="${name}"]`);
      if (!el) return;
      const block = el.closest("details");
      if (block) block.open = true;
      el.scrollIntoView({ block: "center" }); el.focus();
    };
    async function removeMember(i) {
      const name = form.querySelector(`[name="members.${i}.name"]`)?.value.trim();
      const who = `世帯員${i + 1}${name ? `（${name}）` : ""}`;
      if (!(await confirmAction(`${who}を届書から削除します。この世帯員に入力した内容は元に戻せません。よろしいですか。`, "削除する"))) return;
      collect(); body.members.splice(i, 1);
      // the API counts members after the removal: an error on a later member points one block further down here
      await save(body, {}, (err) => {
        const n = err.field?.match(/^members\.(\d+)(.*)$/);
        if (n && Number(n[1]) >= i) err.field = `members.${Number(n[1]) + 1}${n[2]}`;
        return err;
      }, { removed: i });
    }
    const foldAll = (open) => blocks.forEach((b, i) => { b.open = open; folds.open.set(i, open); });
    form.append(
      h("div", { class: "inline-fields" }, field("届出の種類", kindSel), field("世帯主", input("household.head", hh.head)),
        field("異動日", input("household.moved_on", hh.moved_on), "西暦でも和暦でも"), field("転入前の市区町村", input("household.origin", hh.origin))),
      h("div", { class: "inline-fields" }, field("新しい住所（郵便番号）", input("household.new_address.postal_code", hh.new_address.postal_code)),
        field("新しい住所", input("household.new_address.text", hh.new_address.text, { size: "40" }))),
      h("div", { class: "inline-fields" }, field("前の住所（郵便番号）", input("household.old_address.postal_code", hh.old_address.postal_code)),
        field("前の住所（国外転入は国名）", input("household.old_address.text", hh.old_address.text, { size: "40" }))),
      members,
      h("div", { class: "inline-fields" }, field("備考", remarks), field("定型文", phrase),
        field("確認番号", input("household.confirmation", hh.confirmation)), field("メモ", input("household.memo", hh.memo))),
      // The buttons stay at the bottom of the window while staff work down a long household.
      writable ? h("div", { class: "actions form-bar" },
        h("span", { class: "hint" }, `世帯員 ${f.members.length}人`),
        f.members.length > 2 ? h("button", { type: "button", class: "secondary", onclick: () => foldAll(true) }, "すべて開く") : null,
        f.members.length > 2 ? h("button", { type: "button", class: "secondary", onclick: () => foldAll(false) }, "すべて閉じる") : null,
        h("button", { type: "button", class: "secondary", onclick: () => { collect(); body.members.push(emptyMember()); save(body, {}, null, { added: true }); } }, "世帯員を追加"),
        h("button", { type: "submit" }, "保存する")) : null);
    let body = null;
    function collect() {
      const val = (n) => form.querySelector(`[name="${n}"]`)?.value ?? "";
      body = { kind: kindSel.value, household: { head: val("household.head"), moved_on: val("household.moved_on"),
        origin: val("household.origin"), remarks: remarks.value, confirmation: val("household.confirmation"), memo: val("household.memo"),
        phone: hh.phone, new_address: { postal_code: val("household.new_address.postal_code"), text: val("household.new_address.text") },
        old_address: { postal_code: val("household.old_address.postal_code"), text: val("household.old_address.text") } },
      members: f.members.map((m, i) => Object.fromEntries(MEMBER_FIELDS.map(([k]) => [k, val(`members.${i}.${k}`)]))) };
      return body;
    }
    // ``fix`` maps the API's field to this page's inputs; ``change`` is a member added or removed.
    async function save(payload, extra = {}, fix = null, change = {}) {
      clearErrors(form); refreshAll();
      try {
        await api("PATCH", `/counter/forms/${f.id}`, { ...payload, ...extra });
        if (change.removed !== undefined) {  // the blocks below the removed one move up, and keep their folding
          folds.open = new Map([...folds.open].filter(([k]) => k !== change.removed).map(([k, v]) => [k > change.removed ? k - 1 : k, v]));
        }
        await showForm(f.id);
        await search();
        const added = change.added && editor.querySelector(`[name="members.${payload.members.length - 1}.name"]`);
        if (added) { added.scrollIntoView({ block: "center" }); added.focus(); }
        if (document.activeElement === document.body) document.getElementById("c-form")?.focus();
        toast(extra.status ? `「${STATUSES[extra.status]}」にしました。`
          : change.added ? `世帯員${payload.members.length}を追加しました。`
            : change.removed !== undefined ? `世帯員${change.removed + 1}を削除しました。` : "保存しました。");
      } catch (err) { showFormError(fix ? fix(err) : err); }
    }
    form.addEventListener("submit", (ev) => { ev.preventDefault(); save(collect()); });
    const note = h("input", { name: "note", disabled: f.status === "done" });
    const moves = h("div", { class: "row-actions" }, MOVES.filter(([s, , p]) => s !== f.status && ctx.can(p) && f.status !== "done")
      .map(([s, label]) => h("button", { type: "button", onclick: () => save(writable ? collect() : {}, { status: s, note: note.value }) }, label)));
    // The layout view (§(5) d): the 届書 as printed; a click on a box moves to its input.
    const box = (label, value, name) => h("td", {}, h("button", { type: "button", class: "link", "aria-label": `${value || "（未入力）"} ${label}を入力する`,
      onclick: () => jumpTo(name) },
    value || "（未入力）"));
    const layout = h("table", { "data-testid": "form-layout" }, h("caption", {}, `${f.kind_label}届（届書の様式）`),
      h("tbody", {},
        h("tr", {}, h("th", { scope: "row" }, "異動日"), box("異動日", hh.moved_on, "household.moved_on")),
        h("tr", {}, h("th", { scope: "row" }, "新しい住所"), box("新しい住所", hh.new_address.text, "household.new_address.text")),
        h("tr", {}, h("th", { scope: "row" }, "前の住所"), box("前の住所", hh.old_address.text, "household.old_address.text")),
        h("tr", {}, h("th", { scope: "row" }, "世帯主"), box("世帯主", hh.head, "household.head")),
        f.members.map((m, i) => h("tr", {}, h("th", { scope: "row" }, `世帯員 ${i + 1}`),
          box(`世帯員${i + 1}の氏名`, [m.name, m.kana && `（${m.kana}）`, f.shown.members[i]?.birth_text, m.sex, m.relationship].filter(Boolean).join(" "), `members.${i}.name`))),
        h("tr", {}, h("th", { scope: "row" }, "備考"), box("備考", hh.remarks, "household.remarks"))));
    // What is missing, a member's fields on one line (8 members would be 40 lines otherwise); each line jumps to
    // its first input, opening the member.
    const missingBy = new Map();
    for (const p of f.problems) {
      const m = p.field.match(/^members\.(\d+)\.(\w+)$/);
      const at = m ? `members.${m[1]}` : p.field;
      if (!missingBy.has(at)) missingBy.set(at, { field: p.field, message: p.message, labels: [] });
      if (m) missingBy.get(at).labels.push(MEMBER_FIELDS.find(([k]) => k === m[2])?.[1] || m[2]);
    }
    const missingLine = (at, p) => {
      if (!p.labels.length) return p.message;
      const i = Number(at.split(".")[1]);
      return `世帯員${i + 1}${f.members[i]?.name ? `（${f.members[i].name}）` : ""}：${p.labels.join("、")}を入力してください。`;
    };
    const problems = f.problems.length ? h("div", { class: "notice", role: "status" }, h("p", {}, `確認待ちにする前に、次の項目（${f.problems.length}件）を入力してください。`),
      h("ul", {}, [...missingBy].map(([at, p]) => h("li", {}, form.querySelector(`[name="${p.field}"]`)
        ? h("button", { type: "button", class: "link", onclick: () => jumpTo(p.field) }, missingLine(at, p)) : missingLine(at, p))))) : null;
    editor.replaceChildren(
      h("h2", { id: "c-form", tabindex: "-1" }, `届書 ${f.number}（${f.kind_label}・${f.status_label}）`),
      h("p", { class: "hint" }, `作成 ${f.created_by} ${clock(f.created_at)}／最終更新 ${f.updated_by} ${clock(f.updated_at)}${f.masked ? "／個人番号・住民票コードはマスキングしています" : ""}`),
      problems || "", form, enhanceCounterForm(form, writable),
      h("div", { class: "section" }, h("h3", {}, "工程"), field("状態を変える理由・メモ", note), moves,
        h("div", { class: "row-actions" }, h("button", { type: "button", onclick: () => download(`/counter/forms/${f.id}.pdf`, `${f.number}.pdf`)
          .catch((err) => toast(err.message, "error")) }, "PDF を保存（町の様式）"))),
      h("div", { class: "section table-wrap" }, layout),
      h("div", { class: "section table-wrap" }, h("table", {}, h("caption", {}, "状態の履歴"),
        h("thead", {}, h("tr", {}, ["日時", "職員", "状態", "メモ"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, f.history.map((e) => h("tr", {}, h("td", {}, clock(e.at)), h("td", {}, e.staff),
          h("td", {}, e.status_from ? `${STATUSES[e.status_from]} → ${STATUSES[e.status_to]}` : STATUSES[e.status_to]), h("td", {}, e.note)))))));
    editor.append(await relatedForms(f, ctx), await attachmentsSection(f, ctx));
    if (error) showFormError(error);
  }
  if (id) await showForm(id);
  else editor.replaceChildren(h("h2", { id: "c-form" }, "届書"), h("p", { class: "hint" }, "新しく作るか、検索結果から開いてください。"));
}
