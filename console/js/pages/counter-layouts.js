// 様式の定義 (issue #23; 小郡市 spec §(4) b イ): the OCR layout definitions (定義体) of the counter.
// Staff add one for a new town's 転出証明書 from a sample image: the API straightens the sample and finds
// its frame the way the reader does (POST /counter/layout-sample), staff draw a rectangle per field on
// that frame (or type its place in %), try the draft on the sample (POST /counter/layout-trial), save it
// (PUT /counter/layouts/{key}), export it as JSON and import another town's (errors name the region).
import { api, download, session, BASE, ApiError } from "../api.js";
import { h, field, showError, clearErrors, toast, confirmAction } from "../ui.js";

const SIDES = [["左", 0], ["上", 1], ["幅", 2], ["高さ", 3]];
const MIN = 0.01;  // the API refuses a box under 1% of the frame
const BLANK = [1240, 877];  // the frame's shape before a sample is loaded (A4 landscape, as the demo's certificate)
const round = (v) => Math.round(v * 10000) / 10000;
const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
// a box at its place on the frame, in % (through the CSSOM: the console's CSP refuses style attributes)
const place = (el, [l, t, w, hh]) => Object.assign(el.style, { left: `${l * 100}%`, top: `${t * 100}%`, width: `${w * 100}%`, height: `${hh * 100}%` }) && el;

// multipart with the session's token (api() sends JSON or one file as it is)
async function upload(path, parts) {
  const body = new FormData();
  for (const [k, v] of Object.entries(parts)) body.append(k, v);
  let res;
  try {
    res = await fetch(BASE + path, { method: "POST", body, headers: { Accept: "application/json", Authorization: `Bearer ${session.token}` } });
  } catch { throw new ApiError(0, { error: { message: "サーバーに接続できません。ネットワークをご確認ください。" } }); }
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// 「fields.3.box」 → 「4番目の領域（生年月日）」: where an error of a definition is, in staff's words
function where(path, definition) {
  const m = /^fields\.(\d+)(?:\.(\w+))?/.exec(path || "");
  if (!m) return "";  // key, name, kind, size: the message names it
  const region = (definition?.fields || [])[Number(m[1])] || {};
  const part = { name: "項目", type: "読み取り方", box: "位置と大きさ", label: "表示名" }[m[2]] || "";
  return `${Number(m[1]) + 1}番目の領域${region.label || region.name ? `（${region.label || region.name}）` : ""}${part ? `の${part}` : ""}: `;
}

export default async function counterLayouts(main, ctx) {
  main.replaceChildren(h("h1", {}, ctx.title),
    h("p", { class: "hint" }, "OCR で読み取る書類の様式（定義体）です。新しい町の転出証明書は、見本の画像に項目ごとの枠を描いて追加します。"
      + "定義体は JSON で書き出して他の町と共有でき、他の町の定義体を取り込むこともできます。"));
  const known = await api("GET", "/counter/layout-fields");
  const listSection = h("section", { class: "section", "aria-labelledby": "ly-list" }, h("h2", { id: "ly-list" }, "定義体の一覧"));
  const importSection = h("section", { class: "section", "aria-labelledby": "ly-import" }, h("h2", { id: "ly-import" }, "定義体を取り込む（JSON）"));
  const editSection = h("section", { class: "section", "aria-labelledby": "ly-edit" });
  main.append(listSection, editSection, importSection);
  let listed = [];

  // -- the list -------------------------------------------------------------------------------------------
  const listBody = h("div", { class: "table-wrap" });
  listSection.append(listBody);
  async function refresh() {
    listed = await api("GET", "/counter/layouts");
    listBody.replaceChildren(h("table", {}, h("caption", {}, `定義体 ${listed.length}件`),
      h("thead", {}, h("tr", {}, ["名前", "識別名（key）", "書類の種類", "領域", "操作"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, listed.map((r) => h("tr", {}, h("td", {}, r.name), h("td", {}, r.key), h("td", {}, known.kinds[r.kind] || r.kind),
        h("td", {}, `${r.fields}`), h("td", {}, h("div", { class: "row-actions" },
          h("button", { type: "button", class: "secondary", "aria-label": `${r.name} を直す`, onclick: () => edit(r.key) }, "直す"),
          h("button", { type: "button", class: "secondary", "aria-label": `${r.name} を書き出す`, onclick: () => download(`/counter/layouts/${encodeURIComponent(r.key)}`, `${r.key}.json`)
            .catch((err) => toast(err.message, "error")) }, "書き出す"),
          r.stored && ctx.can("counter.layouts")
            ? h("button", { type: "button", class: "danger", "aria-label": `${r.name} を削除`, onclick: () => remove(r) }, "削除")
            : null)))))));
  }
  // Only what staff added or imported can be deleted; the town's files stay (a stored one with a file's key
  // only took its place: deleting it brings the file's definition back).
  async function remove(r) {
    const back = r.shipped ? "削除すると、町のファイルにある元の定義体に戻ります。" : "この定義体で OCR をすることはできなくなります（保存済みの添付書類のマスキングは変わりません）。";
    if (!await confirmAction(`定義体「${r.name}」（${r.key}）を削除しますか。${back}`, "削除する")) return;
    try {
      await api("DELETE", `/counter/layouts/${encodeURIComponent(r.key)}`);
      toast(r.shipped ? `「${r.key}」を削除し、元の定義体に戻しました。` : `「${r.name}」を削除しました。`);
      await refresh();
    } catch (err) { toast(err.message, "error"); }
  }

  // -- the editor: a draft, its sample and what the trial read ---------------------------------------------
  let draft = { key: "", name: "", kind: "tenshutsu", size: BLANK, fields: [] };
  let sampleFile = null;
  let sample = null;   // the API's answer: the frame as an image, its size
  let read = {};       // field name → {value, confidence} from the last trial
  let selected = -1;

  const form = h("form", { novalidate: true, class: "layout-editor" });
  const kind = h("select", { name: "kind" }, Object.entries(known.kinds).map(([k, v]) => h("option", { value: k }, v)));
  const key = h("input", { name: "key", required: true, pattern: "[a-z0-9][a-z0-9_-]{0,63}", size: "24", autocomplete: "off" });
  const name = h("input", { name: "name", required: true, size: "36", maxlength: "100" });
  const file = h("input", { type: "file", name: "image", accept: "image/jpeg,image/png" });
  const next = h("select", { name: "next-field" });
  const surface = h("div", { class: "layout-surface", "data-testid": "layout-surface" });
  const rows = h("tbody");
  const status = h("p", { class: "hint", "aria-live": "polite" });
  const catalog = () => known.fields[kind.value] || [];
  const labelOf = (n) => (catalog().find((f) => f.name === n) || {}).label || n;

  function fillNext() {
    const used = new Set(draft.fields.map((f) => f.name));
    const keep = next.value;
    next.replaceChildren(...catalog().map((f) => h("option", { value: f.name }, `${f.label}（${f.name}）${used.has(f.name) ? " ・描画済み" : ""}`)));
    const free = catalog().find((f) => !used.has(f.name));
    next.value = keep && !used.has(keep) && catalog().some((f) => f.name === keep) ? keep : (free ? free.name : catalog()[0]?.name);
  }

  function addRegion(box) {
    const choice = catalog().find((f) => f.name === next.value) || catalog()[0];
    draft.fields.push({ name: choice.name, label: choice.label.replace(/（.*）$/, ""), type: choice.type, box: box.map(round) });
    selected = draft.fields.length - 1;
    render();
    status.textContent = `${draft.fields.length}番目の領域（${choice.label}）を追加しました。`;
  }

  // the frame (the sample's, or a blank one of the definition's proportions) with a box per region
  function drawBoxes() {
    const [w, hgt] = draft.size;
    surface.style.aspectRatio = `${w} / ${hgt}`;
    surface.replaceChildren(
      sample ? h("img", { src: sample.image, alt: "見本画像（傾きを直し、書類の枠の内側を切り出したもの）", draggable: "false" })
        : h("p", { class: "hint layout-blank" }, "見本画像を読み込むと、ここに表示されます。"),
      ...draft.fields.map((f, i) => {
        const value = read[f.name];
        const box = h("div", { class: `layout-box${i === selected ? " selected" : ""}`, "data-index": String(i), "aria-hidden": "true" },
          h("span", { class: "layout-tag" }, `${i + 1} ${f.label || f.name}${value ? `：${value.value || "（読めず）"}` : ""}`),
          h("span", { class: "layout-handle", "data-handle": "1" }));
        return place(box, f.box);
      }));
  }

  function render() {
    fillNext();
    drawBoxes();
    if (!draft.fields.length) {
      rows.replaceChildren(h("tr", {}, h("td", { colspan: "10" }, "まだ領域がありません。見本の画像の上をドラッグするか「領域を数値で追加」で追加してください。")));
      return;
    }
    rows.replaceChildren(...draft.fields.map((f, i) => {
      const fieldSel = h("select", { name: `fields.${i}.name`, "aria-label": `${i + 1}番目の領域の項目` },
        catalog().map((c) => h("option", { value: c.name, selected: c.name === f.name }, `${c.label}（${c.name}）`)),
        catalog().some((c) => c.name === f.name) ? null : h("option", { value: f.name, selected: true }, `${f.name}（この書類にない項目）`));
      fieldSel.addEventListener("change", () => {
        const c = catalog().find((x) => x.name === fieldSel.value);
        Object.assign(f, { name: c.name, label: c.label.replace(/（.*）$/, ""), type: c.type });
        render();
      });
      const label = h("input", { name: `fields.${i}.label`, value: f.label, size: "8", maxlength: "40", "aria-label": `${i + 1}番目の領域の表示名` });
      label.addEventListener("change", () => { f.label = label.value.trim() || labelOf(f.name); drawBoxes(); });
      const type = h("select", { name: `fields.${i}.type`, "aria-label": `${i + 1}番目の領域の読み取り方` },
        Object.entries(known.types).map(([k, v]) => h("option", { value: k, selected: k === f.type }, v)));
      type.addEventListener("change", () => { f.type = type.value; });
      const sides = SIDES.map(([word, j]) => {
        const input = h("input", { type: "number", min: "0", max: "100", step: "0.1", class: "short", value: (f.box[j] * 100).toFixed(1),
          name: j === 0 ? `fields.${i}.box` : `fields.${i}.box.${j}`, "data-side": String(j), "aria-label": `${i + 1}番目の領域の${word}（％）` });
        input.addEventListener("change", () => {
          const v = Number(input.value);
          if (Number.isFinite(v)) { f.box[j] = round(v / 100); selected = i; drawBoxes(); }
        });
        return h("td", {}, input);
      });
      const value = read[f.name];
      const pct = (v) => `${(v * 100).toFixed(1)}%`;
      const grip = h("button", { type: "button", class: "secondary layout-key", "data-index": String(i), "aria-pressed": String(i === selected),
        "aria-label": `${i + 1}番目の領域（${f.label || f.name}）: 左${pct(f.box[0])}、上${pct(f.box[1])}、幅${pct(f.box[2])}、高さ${pct(f.box[3])}。矢印キーで移動、Shift＋矢印キーで大きさ`,
        onclick: () => { selected = i; render(); rows.querySelector(`.layout-key[data-index="${i}"]`)?.focus(); },
        onkeydown: (ev) => nudge(ev, i) }, `${i + 1}`);
      return h("tr", { class: i === selected ? "selected" : null, "data-index": String(i) },
        h("th", { scope: "row" }, grip), h("td", {}, fieldSel), h("td", {}, label), h("td", {}, type), sides,
        h("td", { class: "layout-read" }, value ? `${value.value || "（読めず）"}（${Math.round(value.confidence * 100)}%${value.confidence < 0.6 ? "・要確認" : ""}）` : "―"),
        h("td", {}, h("button", { type: "button", class: "danger", "aria-label": `${i + 1}番目の領域を削除`, onclick: () => {
          draft.fields.splice(i, 1); selected = -1; render(); status.textContent = `${i + 1}番目の領域を削除しました。`;
        } }, "削除")));
    }));
  }

  // -- the keyboard: the region's number button, arrows move it by 0.5 % of the frame, Shift+arrows size it
  function nudge(ev, i) {
    const d = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[ev.key];
    if (!d) return;
    ev.preventDefault();
    const [l, t, w, hh] = draft.fields[i].box, step = 0.005;
    draft.fields[i].box = (ev.shiftKey ? [l, t, clamp(w + d[0] * step, MIN, 1 - l), clamp(hh + d[1] * step, MIN, 1 - t)]
      : [clamp(l + d[0] * step, 0, 1 - w), clamp(t + d[1] * step, 0, 1 - hh), w, hh]).map(round);
    selected = i;
    render();
    rows.querySelector(`.layout-key[data-index="${i}"]`)?.focus();
  }

  // -- drawing with the mouse or a pen: a new box, or moving / resizing one -------------------------------
  let drag = null;
  const at = (ev) => {
    const r = surface.getBoundingClientRect();  // the boxes are placed inside the border
    return [clamp((ev.clientX - r.left - surface.clientLeft) / surface.clientWidth, 0, 1),
      clamp((ev.clientY - r.top - surface.clientTop) / surface.clientHeight, 0, 1)];
  };
  surface.addEventListener("pointerdown", (ev) => {
    if (ev.button !== 0) return;
    ev.preventDefault();
    const [x, y] = at(ev);
    const boxEl = ev.target.closest(".layout-box");
    if (boxEl) {
      selected = Number(boxEl.dataset.index);
      drag = { mode: ev.target.dataset.handle ? "resize" : "move", start: [x, y], box: [...draft.fields[selected].box] };
    } else {
      drag = { mode: "new", start: [x, y], box: [x, y, 0, 0] };
    }
    surface.setPointerCapture(ev.pointerId);
  });
  surface.addEventListener("pointermove", (ev) => {
    if (!drag) return;
    const [x, y] = at(ev);
    const [sx, sy] = drag.start;
    if (drag.mode === "new") {
      drag.box = [Math.min(sx, x), Math.min(sy, y), Math.abs(x - sx), Math.abs(y - sy)];
      let ghost = surface.querySelector(".layout-ghost");
      if (!ghost) { ghost = h("div", { class: "layout-box layout-ghost", "aria-hidden": "true" }); surface.append(ghost); }
      place(ghost, drag.box);
      return;
    }
    const f = draft.fields[selected];
    const [l, t, w, hh] = drag.box;
    if (drag.mode === "move") f.box = [clamp(l + x - sx, 0, 1 - w), clamp(t + y - sy, 0, 1 - hh), w, hh].map(round);
    else f.box = [l, t, clamp(w + x - sx, MIN, 1 - l), clamp(hh + y - sy, MIN, 1 - t)].map(round);
    drawBoxes();
  });
  const finish = () => {
    if (!drag) return;
    const done = drag; drag = null;
    if (done.mode === "new") {
      surface.querySelector(".layout-ghost")?.remove();
      if (done.box[2] >= MIN && done.box[3] >= MIN) addRegion(done.box);
    } else render();
  };
  surface.addEventListener("pointerup", finish);
  surface.addEventListener("pointercancel", finish);

  // -- sample, trial, save, export ------------------------------------------------------------------------
  function collect() {
    draft.key = key.value.trim(); draft.name = name.value.trim(); draft.kind = kind.value;
    return { key: draft.key, name: draft.name, kind: draft.kind, size: draft.size,
      fields: draft.fields.map((f) => ({ name: f.name, label: f.label, type: f.type, box: f.box.map(round) })) };
  }
  const fail = (err, definition) => showError(form, { ...err, message: `${where(err.field, definition)}${err.message}` });

  async function loadSample() {
    clearErrors(form);
    if (!file.files.length) { showError(form, { field: "image", message: "見本の画像（JPEG・PNG）を選んでください。" }); return; }
    status.textContent = "見本の傾きを直し、書類の枠を探しています…";
    try {
      sample = await upload("/counter/layout-sample", { image: file.files[0] });
    } catch (err) { status.textContent = ""; showError(form, err); return; }
    sampleFile = file.files[0];
    draft.size = sample.size;
    read = {};
    render();
    status.textContent = `見本を読み込みました（枠の大きさ ${sample.size[0]}×${sample.size[1]} 画素）。画像の上をドラッグして領域を描いてください。`;
  }

  async function trial() {
    clearErrors(form);
    if (!sampleFile) { showError(form, { field: "image", message: "試しに読み取るには、先に見本の画像を読み込んでください。" }); return; }
    const definition = collect();
    if (!definition.key) definition.key = "draft";
    if (!definition.name) definition.name = "作成中の定義体";
    status.textContent = "見本を試しに読み取っています…";
    try {
      const out = await upload("/counter/layout-trial", { image: sampleFile, definition: JSON.stringify(definition) });
      read = out.fields;
      render();
      status.textContent = `試しに読み取りました（${out.seconds}秒）。各領域の右の「読み取り結果」と画像の上の表示を確かめてください。`;
    } catch (err) { status.textContent = ""; fail(err, definition); }
  }

  async function save() {
    clearErrors(form);
    const definition = collect();
    if (!definition.key) { showError(form, { field: "key", message: "識別名（key: 半角の英小文字・数字・-・_）を入力してください。" }); return; }
    if (!definition.fields.length) { showError(form, { message: "領域を1つ以上描いてください。" }); return; }
    if (listed.some((r) => r.key === definition.key) && editing !== definition.key
        && !await confirmAction(`key「${definition.key}」の定義体はすでにあります。置き換えますか。`, "置き換える")) return;
    try {
      await api("PUT", `/counter/layouts/${encodeURIComponent(definition.key)}`, definition);
    } catch (err) { fail(err, definition); return; }
    editing = definition.key;
    toast(`定義体「${definition.name}」を保存しました。`);
    await refresh();
  }

  function exportDraft() {
    const definition = collect();
    const url = URL.createObjectURL(new Blob([JSON.stringify(definition, null, 1)], { type: "application/json" }));
    const a = h("a", { href: url, download: `${definition.key || "layout"}.json` });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  let editing = null;
  function show(definition, heading) {
    draft = { ...definition, fields: definition.fields.map((f) => ({ ...f, box: [...f.box] })) };
    editing = definition.key || null;
    key.value = draft.key; name.value = draft.name; kind.value = draft.kind;
    read = {}; selected = -1;
    title.textContent = heading;
    render();
  }
  async function edit(k) {
    try { show(await api("GET", `/counter/layouts/${encodeURIComponent(k)}`), `定義体を直す: ${k}`); }
    catch (err) { toast(err.message, "error"); return; }
    sample = null; sampleFile = null; drawBoxes();
    status.textContent = "見本画像を読み込むと、領域を画像の上で確かめ・直せます。";
    title.focus();
  }

  kind.addEventListener("change", () => { draft.kind = kind.value; render(); });
  const title = h("h2", { id: "ly-edit", tabindex: "-1" }, "新しい定義体を作る");
  form.append(
    h("div", { class: "inline-fields" }, field("書類の種類", kind), field("識別名（key）", key, "半角の英小文字・数字・-・_（例: kurume-tenshutsu）"),
      field("名前", name, "例: 転出証明書（久留米市）")),
    h("div", { class: "toolbar" }, field("見本の画像", file, "転出証明書などのスキャン画像か写真。傾きを直し、書類の枠の内側を表示します。"),
      h("button", { type: "button", onclick: loadSample }, "見本を読み込む")),
    h("div", { class: "toolbar" }, field("次に描く項目", next),
      h("button", { type: "button", class: "secondary", onclick: () => addRegion([0.1, 0.1, 0.3, 0.06]) }, "領域を数値で追加")),
    h("p", { class: "hint" }, "画像の上をドラッグすると「次に描く項目」の領域を描きます。描いた領域はドラッグで移動、右下の角で大きさを変えられます。"
      + "位置と大きさは下の表で、書類の枠に対する％でも指定できます。キーボードでは、表の領域の番号のボタンで矢印キーを押すと移動、Shift＋矢印キーで大きさを変えられます。"),
    surface, status,
    h("div", { class: "table-wrap" }, h("table", { class: "layout-regions" }, h("caption", {}, "領域（位置と大きさは書類の枠に対する％）"),
      h("thead", {}, h("tr", {}, ["#", "項目", "表示名", "読み取り方", "左", "上", "幅", "高さ", "読み取り結果", "操作"].map((t) => h("th", { scope: "col" }, t)))),
      rows)),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "secondary", onclick: trial }, "試しに読み取る"),
      h("button", { type: "submit" }, "保存する"),
      h("button", { type: "button", class: "secondary", onclick: exportDraft }, "書き出す（JSON）"),
      h("button", { type: "button", class: "secondary", onclick: () => {
        show({ key: "", name: "", kind: kind.value, size: BLANK, fields: [] }, "新しい定義体を作る");
        sample = null; sampleFile = null; file.value = ""; drawBoxes(); status.textContent = "";
      } }, "新しく作り直す")));
  form.addEventListener("submit", (ev) => { ev.preventDefault(); save(); });
  editSection.append(title, form);
  if (!ctx.can("counter.layouts")) editSection.hidden = true;

  // -- import another town's definition ---------------------------------------------------------------------
  const json = h("input", { type: "file", name: "definition", accept: ".json,application/json" });
  const importForm = h("form", { novalidate: true, class: "toolbar" }, field("定義体の JSON ファイル", json, "他の町から受け取った定義体。取り込むと一覧に加わります（同じ key は置き換え）。"),
    h("button", { type: "submit" }, "取り込む"));
  importForm.addEventListener("submit", async (ev) => {
    ev.preventDefault(); clearErrors(importForm);
    if (!json.files.length) { showError(importForm, { field: "definition", message: "定義体の JSON ファイルを選んでください。" }); return; }
    let definition;
    try { definition = JSON.parse(await json.files[0].text()); }
    catch (err) { showError(importForm, { field: "definition", message: `JSON として読めません（${err.message}）。` }); return; }
    if (!definition || typeof definition.key !== "string" || !definition.key) {
      showError(importForm, { field: "definition", message: "key がありません（定義体の JSON には key, name, kind, size, fields が必要です）。" }); return;
    }
    let saved;  // as the API keeps it: size, labels and types filled in where the file left them out
    try { saved = await api("PUT", `/counter/layouts/${encodeURIComponent(definition.key)}`, definition); }
    catch (err) { showError(importForm, { field: "definition", message: `取り込めません。${where(err.field, definition)}${err.message}` }); return; }
    toast(`定義体「${saved.name}」を取り込みました。`);
    await refresh();
    sample = null; sampleFile = null;
    show(saved, `定義体を直す: ${saved.key}`);
  });
  importSection.append(importForm);
  if (!ctx.can("counter.layouts")) {
    importSection.hidden = true;
    listSection.append(h("p", { class: "hint" }, "定義体を作る・直す・取り込むには、管理者に権限「OCR の定義体の追加・取り込み」（counter.layouts）を依頼してください。"));
  }

  await refresh();
  render();
}
