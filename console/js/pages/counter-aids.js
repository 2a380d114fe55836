// Input aids of the counter's 届書 form (小郡市 spec §(5) h, i, j; §(4) h), used by counter.js:
// - address and 本籍 picker: 都道府県 → 市区町村 → 町域・大字 from lists, or the first kana of each
//   level typed in turn (「ふ」「く」「み」), from GET /counter/addresses (Japan Post's data, offline);
// - copy-input: names and addresses typed once in the household offered again (datalists) and
//   「世帯員1と同じ」 buttons for 本籍・筆頭者 and the family name;
// - 単漢字検索: one kanji by reading, 部首 or strokes (GET /counter/kanji), inserted into the name field
//   that had the focus last.
import { api } from "../api.js";
import { h, field, toast } from "../ui.js";

const ADDRESS_INPUTS = /^(household\.(new|old)_address\.text|members\.\d+\.honseki)$/;
const NAME_INPUTS = /^(household\.head|members\.\d+\.(name|hittousha|alias|honseki))$/;
let uid = 0;

// One dialog shared by every address/本籍 input: the caller says which input (and postal code) it fills.
function addressDialog() {
  const n = ++uid;
  const kana = h("input", { name: "address-kana", maxlength: "3", autocomplete: "off", size: "6" });
  const pref = h("select", { name: "address-prefecture" });
  const city = h("select", { name: "address-city" });
  const area = h("select", { name: "address-area", size: "8" });
  const status = h("p", { class: "hint", "aria-live": "polite" });
  let target = null; let postal = null;
  const options = (sel, items, label) => sel.replaceChildren(h("option", { value: "" }, label),
    ...items.map((c) => h("option", { value: JSON.stringify(c) }, sel === area ? `${c.area}（${c.kana}）`
      : sel === city ? c.city : c.prefecture)));
  async function load(params) {
    const q = new URLSearchParams(Object.fromEntries(Object.entries(params).filter(([, v]) => v)));
    try { return await api("GET", `/counter/addresses?${q}`); } catch (err) { status.textContent = err.message; return null; }
  }
  async function byKana() {
    const p = pref.value ? JSON.parse(pref.value) : null;
    const c = city.value ? JSON.parse(city.value) : null;
    const found = await load({ prefecture: p?.prefecture, city: c?.city, kana: kana.value.trim() });
    if (!found) return;
    const sel = { prefecture: pref, city, area }[found.level];
    options(sel, found.choices, found.level === "area" ? "町域・大字を選ぶ" : "選んでください");
    if (found.level === "area") area.selectedIndex = -1;
    status.textContent = `${found.choices.length}件${found.truncated ? "（多いので先頭のみ。かなを足してください）" : ""}`;
  }
  pref.addEventListener("change", () => { city.replaceChildren(); area.replaceChildren(); kana.value = ""; if (pref.value) byKana(); });
  city.addEventListener("change", () => { area.replaceChildren(); kana.value = ""; if (city.value) byKana(); });
  kana.addEventListener("input", () => { if (!pref.value && !kana.value) return; byKana(); });
  const pick = (choice) => {
    if (!target || !choice) return;
    target.value = choice.label; target.dispatchEvent(new Event("input", { bubbles: true }));
    if (postal && choice.postal_code) postal.value = `${choice.postal_code.slice(0, 3)}-${choice.postal_code.slice(3)}`;
    dialog.close(); target.focus(); toast(`「${choice.label}」を入れました。番地を続けて入力してください。`);
  };
  const use = (sel) => () => { if (sel.value) pick(JSON.parse(sel.value)); };
  const dialog = h("dialog", { class: "card", "aria-labelledby": `addr-title-${n}` },
    h("h3", { id: `addr-title-${n}` }, "住所・本籍を選ぶ"),
    h("p", { class: "hint" }, "一覧から順に選ぶか、各階層の頭文字（かな）を続けて入力してください（例: ふくみ → 福岡県・久留米市・御井町）。"),
    h("div", { class: "inline-fields" }, field("頭文字（かな）", kana), field("都道府県", pref), field("市区町村", city)),
    field("町域・大字", area), status,
    h("div", { class: "actions" }, h("button", { type: "button", onclick: use(area) }, "この町域を入れる"),
      h("button", { type: "button", onclick: use(city) }, "市区町村までを入れる"),
      h("button", { type: "button", onclick: () => dialog.close() }, "閉じる")));
  area.addEventListener("dblclick", use(area));
  area.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); use(area)(); } });
  dialog.openFor = async (input, postalInput) => {
    target = input; postal = postalInput;
    kana.value = ""; city.replaceChildren(); area.replaceChildren(); status.textContent = "";
    if (!pref.options.length) { const all = await load({}); if (all) options(pref, all.choices, "都道府県を選ぶ"); }
    dialog.showModal(); kana.focus();
  };
  return dialog;
}

// Datalists of what the household already holds, and 「世帯員1と同じ」 buttons (copy-input, §(5) h).
function copyInput(form) {
  const n = ++uid;
  const names = h("datalist", { id: `copy-names-${n}` });
  const places = h("datalist", { id: `copy-places-${n}` });
  const kanas = h("datalist", { id: `copy-kana-${n}` });
  const refresh = () => {
    const values = (re) => [...new Set([...form.querySelectorAll("input[name]")].filter((i) => re.test(i.name))
      .map((i) => i.value.trim()).filter(Boolean))];
    const full = values(/(\.name|\.head|\.hittousha)$/);
    const family = full.map((v) => v.split(/[\s\u3000]/)[0]).filter((v) => v.length < 8);
    names.replaceChildren(...[...new Set([...full, ...family])].map((v) => h("option", { value: v })));
    places.replaceChildren(...values(/(address\.text|\.honseki)$/).map((v) => h("option", { value: v })));
    const kana = values(/\.kana$/);
    kanas.replaceChildren(...[...new Set([...kana, ...kana.map((v) => v.split(/[\s\u3000]/)[0])])].map((v) => h("option", { value: v })));
  };
  for (const input of form.querySelectorAll("input[name]")) {
    if (/(\.name|\.head|\.hittousha)$/.test(input.name)) input.setAttribute("list", names.id);
    if (/\.kana$/.test(input.name)) input.setAttribute("list", kanas.id);
    if (/(address\.text|\.honseki)$/.test(input.name)) input.setAttribute("list", places.id);
  }
  form.addEventListener("focusin", refresh);
  form.append(names, places, kanas);
  for (const honseki of form.querySelectorAll('input[name^="members."][name$=".honseki"]')) {
    const i = Number(honseki.name.split(".")[1]);
    if (i === 0 || honseki.disabled) continue;
    const copy = (keys) => () => {
      for (const key of keys) {
        const from = form.querySelector(`[name="members.0.${key}"]`); const to = form.querySelector(`[name="members.${i}.${key}"]`);
        if (from && to && !to.disabled) to.value = from.value;
      }
      toast(`世帯員${i + 1}に世帯員1と同じ内容を入れました。`);
    };
    honseki.closest(".field")?.append(h("button", { type: "button", class: "link", onclick: copy(["honseki", "hittousha"]) },
      `世帯員${i + 1}の本籍・筆頭者を世帯員1と同じにする`));
  }
}

// 単漢字検索 (§(4) h): the found character goes into the name field that had the focus last.
function kanjiSearch(form) {
  let last = null;
  form.addEventListener("focusin", (ev) => { if (ev.target.name && NAME_INPUTS.test(ev.target.name)) last = ev.target; });
  const reading = h("input", { name: "kanji-reading", size: "8", autocomplete: "off" });
  const component = h("input", { name: "kanji-component", size: "8", autocomplete: "off" });
  const strokes = h("input", { name: "kanji-strokes", type: "number", min: "1", max: "64", inputmode: "numeric" });
  const out = h("div", { class: "row-actions", "aria-live": "polite" });
  const find = async (ev) => {
    ev.preventDefault();
    const q = new URLSearchParams(Object.fromEntries([["reading", reading.value], ["component", component.value],
      ["strokes", strokes.value]].filter(([, v]) => v.trim())));
    let found;
    try { found = await api("GET", `/counter/kanji?${q}`); } catch (err) { out.replaceChildren(h("p", { class: "field-error", role: "alert" }, err.message)); return; }
    out.replaceChildren(...(found.length ? found.map((k) => h("button", { type: "button", class: "kanji",
      "aria-label": `${k.char}（${[...k.kun, ...k.on].slice(0, 3).join("・")}、部首 ${k.radical}、${k.strokes}画）を入れる`,
      title: [...k.on, ...k.kun, ...k.nanori].join("・"), onclick: () => insert(k.char) }, k.char))
      : [h("p", { class: "hint" }, "見つかりませんでした。")]));
  };
  function insert(ch) {
    if (!last || last.disabled) { toast("先に氏名などの入力欄を選んでください。", "error"); return; }
    const at = last.selectionStart ?? last.value.length;
    last.value = last.value.slice(0, at) + ch + last.value.slice(last.selectionEnd ?? at);
    last.focus(); last.setSelectionRange(at + 1, at + 1);
  }
  const box = h("div", { class: "inline-fields" }, field("読み", reading, "音・訓・名乗り"), field("部首", component, "木・氵・さんずい など"),
    field("画数", strokes), h("button", { type: "submit" }, "漢字を探す"));
  const search = h("form", { novalidate: true, "aria-label": "単漢字検索" }, box, out);
  search.addEventListener("submit", find);
  return h("details", { class: "card" }, h("summary", {}, "見つからない漢字を読み・部首・画数で探す（選んでいた入力欄に入れます）"), search);
}

// Adds the aids to the 届書 form counter.js drew; returns the 単漢字検索 box to show beside it.
export function enhanceCounterForm(form, writable) {
  if (!writable) return null;
  const dialog = addressDialog();
  for (const input of form.querySelectorAll("input[name]")) {
    if (!ADDRESS_INPUTS.test(input.name) || input.disabled) continue;
    const postal = input.name.startsWith("household.") ? form.querySelector(`[name="${input.name.replace(/text$/, "postal_code")}"]`) : null;
    const label = input.name.endsWith("honseki") ? "本籍" : "住所";
    input.closest(".field")?.append(h("button", { type: "button", class: "link", onclick: () => dialog.openFor(input, postal) },
      `${label}を一覧・頭文字から選ぶ`));
  }
  copyInput(form);
  form.append(dialog);
  return kanjiSearch(form);
}
