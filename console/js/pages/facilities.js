// 施設の設定 (issue #16, 国富町 表3 no.3–15, 17–18): the town's facilities and, for each, its basic
// information, 遵守事項 and booking conditions, opening hours, and the lists staff keep up to date —
// 室場, 共有エリア, 予約枠, 使用料, 備品・附属設備, 利用目的 — as forms (GET/POST/PATCH/DELETE of
// /facilities, /units, /areas, /frames, /fees, /equipment, /purposes). Every form is built from a list
// of fields (FIELDS below) by one function, so the API's 422 is shown beside the field it names.
// A staff member limited to some facilities (表3 no.2 管理施設) only gets theirs from the API.
import { api } from "../api.js";
import { h, field, sectionNav, showError, clearErrors, toast, confirmAction } from "../ui.js";

const DAY_TYPES = [["weekday", "平日"], ["saturday", "土曜"], ["sunday", "日曜"], ["holiday", "祝日"]];
const WEEKDAYS = [[0, "月"], [1, "火"], [2, "水"], [3, "木"], [4, "金"], [5, "土"], [6, "日"]];
const RESIDENT = [["", "すべての区分"], ["resident", "町内在住"], ["student", "町内在学"], ["worker", "町内在勤"], ["outside", "町外"]];
const label = (pairs, v) => (pairs.find(([k]) => k === v) || [v, v ?? ""])[1];
const days = (list) => (list?.length ? list.map((d) => label(DAY_TYPES, d)).join("・") : "毎日");

// A field: {name, label, type (text|textarea|number|select|check|checks|list: comma-separated words), options [[value, label]], hint,
// required, nullable (blank sends null), createOnly, number (a select whose values are numbers)}
const FACILITY = [
  { name: "name", label: "施設名", required: true },
  { name: "code", label: "施設コード", required: true, createOnly: true, hint: "半角英小文字・数字と - _（例 taiikukan）。あとから変えられません。" },
  { name: "kana", label: "よみがな", hint: "ひらがな。施設の検索に使います。" },
  { name: "category", label: "分類", required: true, type: "kind", hint: "町の分類から選ぶか、新しい分類を入力します（例 会議室）。" },
  { name: "address", label: "住所" },
  { name: "phone", label: "電話番号" },
  { name: "latitude", label: "緯度（地図に表示）", type: "number", nullable: true, hint: "例 35.0116（空欄は地図に出しません）" },
  { name: "longitude", label: "経度", type: "number", nullable: true, hint: "例 135.7681" },
  { name: "guide_url", label: "案内ページの URL", nullable: true, hint: "https:// で始まる町のページ" },
  { name: "description", label: "施設の説明（利用者に表示）", type: "textarea" },
  { name: "visibility", label: "公開", type: "select", options: [["public", "公開する"], ["private", "公開しない（職員のみ）"]] },
  { name: "display_order", label: "表示順", type: "number", hint: "小さいほど上に表示します。" },
  { name: "terms", label: "遵守事項（予約の前に利用者が同意する内容）", type: "textarea", rows: 5 },
];
const CONDITIONS = [
  { heading: "予約の条件" },
  { name: "booking_opens_months", label: "何か月先まで予約できるか", type: "number" },
  { name: "booking_opens_at", label: "受付開始の時刻", hint: "例 9:00" },
  { name: "booking_opens_on_first", label: "毎月1日にまとめて受付を開始する", type: "check" },
  { name: "booking_closes_hours", label: "利用の何時間前までオンラインで予約できるか", type: "number" },
  { name: "change_deadline_hours", label: "変更の締切（利用の何時間前）", type: "number" },
  { name: "cancel_deadline_hours", label: "取消の締切（利用の何時間前）", type: "number" },
  { name: "citizen_can_change", label: "利用者が自分で変更できる", type: "check" },
  { name: "citizen_can_cancel", label: "利用者が自分で取り消せる", type: "check" },
  { name: "max_active_per_booker", label: "1人が同時に持てる予約の数", type: "number", nullable: true, hint: "空欄は制限なし" },
  { name: "max_per_day_per_booker", label: "1人が1日に予約できる数", type: "number", nullable: true, hint: "空欄は制限なし" },
  { name: "weekly_closed_days", label: "定休日", type: "checks", options: WEEKDAYS, number: true },
  { name: "closed_day_moves_after_holiday", label: "定休日が祝日のときは翌日を休館にする", type: "check" },
  { name: "closed_on_holidays", label: "祝日は休館", type: "check" },
  { name: "closed_year_end", label: "年末年始（12/29〜1/3）は休館", type: "check" },
  { name: "waitlist_enabled", label: "キャンセル待ちを受け付ける", type: "check" },
  { name: "offer_hours", label: "キャンセル待ちの方への案内の有効時間（時間）", type: "number" },
  { name: "reminder_enabled", label: "前日にお知らせを送る", type: "check" },
];
const HOURS = DAY_TYPES.map(([k, l]) => ({ name: k, label: `${l}の開館時間`, nullable: true, hint: "例 9:00-21:00（空欄は休館）" }));

// 室場の種類 (UNIT_KINDS in civic/facilities/models.py); a kind the town's content used that is not
// among them is kept as it is.
const UNIT_KINDS = [["room", "部屋（会議室・和室・研修室など）"], ["court", "コート・アリーナ（全面・半面）"],
  ["field", "グラウンド・球場"], ["site", "区画（キャンプサイトなど）"]];
// The areas staff made to share (全面 and 半面). An area the service made for a unit that shares none
// (own_unit_id) is not listed nor offered: to staff it is just the unit itself.
const shared = (d) => d.areas.filter((a) => a.own_unit_id === null || a.own_unit_id === undefined);

function unitChoices(detail, none) { return [["", none], ...detail.units.map((u) => [String(u.id), u.name])]; }

// The lists of a facility: what each row shows, its form's fields, and where it is created.
const LISTS = [
  { key: "units", title: "室場（部屋・面）", what: "室場", path: "/units", create: (d, b) => [`/facilities/${d.facility.id}/units`, b],
    show: (u, d) => [u.name, label(UNIT_KINDS, u.kind).replace(/（.*）$/, ""), `定員 ${u.capacity ?? "—"}人`, u.booking_mode === "free" ? `自由時間（${u.slot_minutes}分単位）` : "予約枠で受付",
      label([["public", "公開"], ["availability", "空き状況のみ公開"], ["private", "非公開"]], u.visibility),
      u.approval_required ? "承認が必要" : "", sharedOf(u, d).length ? `エリア: ${sharedOf(u, d).map((a) => a.name).join("・")}` : ""],
    fields: (d) => [
      { name: "name", label: "室場名", required: true, hint: "例 第1会議室、全面、半面A" },
      { name: "code", label: "室場コード", required: true, hint: "半角英数字（施設の中で重ならないもの）" },
      { name: "kind", label: "種類", type: "select", options: [...UNIT_KINDS, ...d.units.map((u) => u.kind)
        .filter((k, i, all) => k && !UNIT_KINDS.some(([x]) => x === k) && all.indexOf(k) === i).map((k) => [k, k])] },
      { name: "capacity", label: "定員（人）", type: "number", nullable: true },
      { name: "min_people", label: "最少人数（人）", type: "number" },
      { name: "visibility", label: "公開", type: "select", options: [["public", "公開"], ["availability", "空き状況のみ公開（予約は窓口）"], ["private", "非公開（職員のみ）"]] },
      { name: "booking_mode", label: "予約のしかた", type: "select", options: [["frames", "予約枠（午前・午後など）"], ["free", "自由時間（時間を選ぶ）"]] },
      { name: "slot_minutes", label: "時間の単位（分）", type: "number", hint: "自由時間のとき。15分単位" },
      { name: "min_minutes", label: "最短の利用時間（分）", type: "number", nullable: true, hint: "自由時間のとき。空欄は制限なし" },
      { name: "max_minutes", label: "最長の利用時間（分）", type: "number", nullable: true, hint: "自由時間のとき。空欄は制限なし" },
      { name: "approval_required", label: "予約に職員の承認が必要", type: "check" },
      { name: "activity_required", label: "予約のときに活動内容の記入を求める", type: "check" },
      { name: "allowed_attributes", label: "予約できる利用者の属性", type: "list",
        hint: "職員が確認した属性（例 registered_group＝登録団体）を「,」区切りで。空欄はどなたでも予約できます。" },
      { name: "display_order", label: "表示順", type: "number", hint: "小さいほど上に表示します。" },
      { name: "area_ids", label: "使う共有エリア（全面と半面で同じ場所を使うとき）", type: "checks", number: true,
        options: shared(d).map((a) => [a.id, a.name]), hint: "どれも選ばなければ、この室場だけの場所として扱います。" },
      { name: "description", label: "説明（利用者に表示）", type: "textarea" },
    ] },
  { key: "areas", rows: shared, title: "共有エリア", what: "共有エリア", path: "/areas", create: (d, b) => [`/facilities/${d.facility.id}/areas`, b],
    help: "全面と半面のように同じ場所を使う室場を二重に予約させないための、物理的な場所です。ほかの室場と場所を共有しない室場には要りません。",
    show: (a) => [a.name, `コード ${a.code}`],
    fields: () => [{ name: "name", label: "エリア名", required: true, hint: "例 北側" }, { name: "code", label: "エリアコード", required: true }] },
  { key: "frames", title: "予約枠", what: "予約枠", path: "/frames", create: (d, b) => [`/facilities/${d.facility.id}/frames`, b],
    show: (f, d) => [`${f.label || "（名前なし）"} ${f.time}`, f.unit_id ? d.units.find((u) => u.id === f.unit_id)?.name : "施設共通", days(f.day_types)],
    fields: (d) => [
      { name: "label", label: "枠の名前", hint: "例 午前、午後、夜間" },
      { name: "time", label: "時間", required: true, hint: "例 9:00-12:00（日をまたぐ枠は 14:00-翌10:00）" },
      { name: "unit_id", label: "室場", type: "select", options: unitChoices(d, "施設共通（すべての室場）"), nullable: true, number: true },
      { name: "day_types", label: "曜日区分（どれも選ばなければ毎日）", type: "checks", options: DAY_TYPES },
    ] },
  { key: "fees", title: "使用料", what: "使用料", path: "/fees", create: (d, { unit_id, ...b }) => [`/units/${unit_id}/fees`, b],
    show: (r, d) => [d.units.find((u) => u.id === r.unit_id)?.name, label(RESIDENT, r.resident_type ?? ""), days(r.day_types), r.time === "0:00-24:00" ? "終日" : r.time,
      r.per_hour ? `1時間 ${r.per_hour.toLocaleString("ja-JP")}円` : "", r.flat ? `1回 ${r.flat.toLocaleString("ja-JP")}円` : "", r.label],
    fields: (d) => [
      { name: "unit_id", label: "室場", type: "select", options: d.units.map((u) => [String(u.id), u.name]), number: true, createOnly: true, required: true },
      { name: "resident_type", label: "利用者の区分", type: "select", options: RESIDENT, nullable: true },
      { name: "day_types", label: "曜日区分（どれも選ばなければ毎日）", type: "checks", options: DAY_TYPES },
      { name: "time", label: "時間帯", hint: "例 9:00-17:00（終日は 0:00-24:00）" },
      { name: "per_hour", label: "1時間あたり（円）", type: "number" },
      { name: "flat", label: "1回あたり（円）", type: "number" },
      { name: "label", label: "名前（明細に表示）", hint: "例 夜間料金" },
    ] },
  { key: "equipment", title: "備品・附属設備", what: "備品", path: "/equipment", create: (d, b) => [`/facilities/${d.facility.id}/equipment`, b],
    show: (e, d) => [e.name, `${e.quantity}${e.unit_label}`, e.fee ? `${e.fee.toLocaleString("ja-JP")}円／${e.fee_per === "hour" ? "1時間" : "1回"}` : "無料",
      e.unit_id ? d.units.find((u) => u.id === e.unit_id)?.name : "施設共通", e.active ? "" : "貸出停止"],
    fields: (d) => [
      { name: "name", label: "名前", required: true, hint: "例 プロジェクター" },
      { name: "code", label: "コード", required: true },
      { name: "kind", label: "種類", type: "select", options: [["equipment", "備品（貸し出すもの）"], ["attached", "附属設備（照明・冷暖房など）"]] },
      { name: "unit_id", label: "室場", type: "select", options: unitChoices(d, "施設共通"), nullable: true, number: true },
      { name: "quantity", label: "数量", type: "number" },
      { name: "unit_label", label: "数える単位", hint: "例 台、枚、式" },
      { name: "fee", label: "料金（円）", type: "number" },
      { name: "fee_per", label: "料金のかかり方", type: "select", options: [["use", "1回ごと"], ["hour", "1時間ごと"]] },
      { name: "active", label: "貸し出す", type: "check" },
    ] },
  { key: "purposes", title: "利用目的", what: "利用目的", path: "/purposes", create: (d, b) => [`/facilities/${d.facility.id}/purposes`, b],
    help: "予約のときに利用者が選ぶ目的です。",
    show: (p, d) => [p.name, p.unit_id ? d.units.find((u) => u.id === p.unit_id)?.name : "施設共通"],
    fields: (d) => [
      { name: "name", label: "目的", required: true, hint: "例 バレーボール、会議" },
      { name: "unit_id", label: "室場", type: "select", options: unitChoices(d, "施設共通"), nullable: true, number: true },
    ] },
];

// The inputs of ``fields`` filled from ``row``; read() gives the body to send.
function formFields(fields, row, editing) {
  const shown = fields.filter((f) => !(editing && f.createOnly));
  const parts = shown.map((f) => {
    if (f.heading) return { f, el: h("h3", { class: "grid-heading" }, f.heading) };
    const v = row?.[f.name];
    if (f.type === "check") {
      const input = h("input", { type: "checkbox", name: f.name, checked: !!v });
      return { f, input, el: h("label", { class: "check" }, input, ` ${f.label}`) };
    }
    if (f.type === "checks") {
      const chosen = (v || []).map(String);
      const el = h("fieldset", { class: "checks-field" }, h("legend", {}, f.label),
        f.options.length ? f.options.map(([k, l]) => h("label", { class: "check" },
          h("input", { type: "checkbox", name: f.name, value: k, checked: chosen.includes(String(k)) }), ` ${l}`))
          : h("p", { class: "hint" }, "（まだ登録がありません）"));
      return { f, el };
    }
    if (f.type === "kind") {
      // The town's kinds offered by their names (GET /facility-kinds); a new word is kept as typed.
      const list = h("datalist", { id: `kinds-${f.name}` }, f.kinds.map((k) => h("option", { value: k.label })));
      const input = h("input", { name: f.name, value: kindLabel(f.kinds, v ?? ""), list: list.id, required: !!f.required, autocomplete: "off" });
      const el = field(f.required ? `${f.label}（必須）` : f.label, input, f.hint);
      el.append(list);
      return { f, input, el };
    }
    const input = f.type === "textarea" ? h("textarea", { name: f.name, rows: f.rows || "3" }, v ?? "")
      : f.type === "list" ? h("input", { name: f.name, value: (v || []).join(", ") })
      : f.type === "select" ? h("select", { name: f.name }, f.options.map(([k, l]) => h("option", { value: k, selected: String(v ?? "") === String(k) }, l)))
        : h("input", { name: f.name, type: f.type === "number" ? "number" : "text", value: v ?? "", required: !!f.required, step: f.type === "number" ? "any" : null, inputmode: f.type === "number" ? "decimal" : null });
    return { f, input, el: field(f.required ? `${f.label}（必須）` : f.label, input, f.hint) };
  });
  const read = (form) => {
    const body = {};
    for (const { f, input } of parts) {
      if (f.heading) continue;
      if (f.type === "check") body[f.name] = input.checked;
      else if (f.type === "checks") body[f.name] = [...form.querySelectorAll(`input[name="${f.name}"]:checked`)].map((i) => (f.number ? Number(i.value) : i.value));
      else {
        const text = input.value.trim();
        if (f.type === "list") { body[f.name] = text.split(/[,、，]/).map((x) => x.trim()).filter(Boolean); continue; }
        if (f.type === "kind") { body[f.name] = f.kinds.find((k) => k.label === text || k.code === text)?.code ?? text; continue; }
        if (text === "") { if (f.nullable) body[f.name] = null; else if (!editing && !f.required) continue; else body[f.name] = ""; }
        else body[f.name] = f.type === "number" || f.number ? Number(text) : text;
      }
    }
    return body;
  };
  return { els: parts.map((p) => p.el), read };
}

// A form that sends ``read()`` and shows the API's 422 beside its field.
function settingsForm({ fields, row, editing, submitLabel, aria, send, cancel }) {
  const { els, read } = formFields(fields, row, editing);
  const form = h("form", { class: "settings-form", novalidate: true, "aria-label": aria }, h("div", { class: "settings-grid" }, els),
    h("div", { class: "form-actions" }, h("button", { type: "submit" }, submitLabel),
      cancel ? h("button", { type: "button", class: "secondary", onclick: cancel }, "やめる") : null));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault(); clearErrors(form);
    const missing = fields.find((f) => f.required && !(editing && f.createOnly) && !String(form.elements[f.name]?.value ?? "").trim());
    if (missing) { showError(form, { field: missing.name, message: `${missing.label}を入力してください。` }); return; }
    try { await send(read(form)); } catch (err) { showError(form, err); }
  });
  return form;
}

// A facility's kind in the town's words (town.yml ``facilities.labels``, through GET /facility-kinds).
const kindLabel = (kinds, code) => kinds.find((k) => k.code === code)?.label ?? code;
// The facility fields with the town's kinds to offer for 分類.
const facilityFields = (kinds) => FACILITY.map((f) => (f.type === "kind" ? { ...f, kinds } : f));

export default async function facilities(main, ctx) {
  const edit = ctx.can("facilities.edit");
  const limited = Array.isArray(ctx.me.facility_ids);
  const id = Number(new URLSearchParams(location.hash.split("?")[1] || "").get("id")) || null;
  if (id) return detailPage(main, ctx, id, edit);
  const [rows, kinds] = await Promise.all([api("GET", "/facilities"), api("GET", "/facility-kinds")]);
  const table = h("table", { class: "facility-table" }, h("caption", {}, `施設（${rows.length}件）`),
    h("thead", {}, h("tr", {}, ["施設名", "分類", "住所", "公開", "操作"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows.length ? rows.map((f) => h("tr", {}, h("th", { scope: "row" }, f.name), h("td", {}, kindLabel(kinds, f.category)), h("td", {}, f.address),
      h("td", {}, f.visibility === "public" ? "公開" : "非公開"),
      // the visible 「設定を開く」, read with the facility's name (the row's header is its name on screen)
      h("td", {}, h("a", { href: `#/facilities?id=${f.id}`, class: "button", "aria-label": edit ? `${f.name}の設定を開く` : `${f.name}の設定を見る` },
        edit ? "設定を開く" : "設定を見る"))))
      : h("tr", {}, h("td", { colspan: "5" }, "施設が登録されていません。"))));
  const parts = [h("h1", {}, ctx.title),
    h("p", { class: "hint" }, "施設を選ぶと、基本情報・遵守事項・予約の条件・開館時間と、室場・予約枠・使用料・備品・利用目的を設定できます。休館日は「施設予約」の画面で登録します。"),
    limited ? h("p", { class: "notice" }, "あなたのアカウントは管理施設が限定されています。担当の施設だけが表示されます。") : null, table];
  if (edit && !limited) {
    const form = settingsForm({ fields: facilityFields(kinds).filter((f) => ["name", "code", "kana", "category", "address"].includes(f.name)), row: {},
      editing: false, submitLabel: "登録する", aria: "施設の登録",
      send: async (body) => { const f = await api("POST", "/facilities", body); toast(`施設「${f.name}」を登録しました。続けて室場と予約枠を設定してください。`); location.hash = `#/facilities?id=${f.id}`; } });
    parts.push(h("section", { class: "card section", "aria-labelledby": "new-facility" }, h("h2", { id: "new-facility" }, "施設を登録する"), form));
  }
  main.replaceChildren(...parts.filter(Boolean));  // a null would be shown as the text 「null」
}

async function detailPage(main, ctx, id, edit) {
  const [d, kinds] = await Promise.all([api("GET", `/facilities/${id}`), api("GET", "/facility-kinds")]);
  const reload = async (focus) => {
    await detailPage(main, ctx, id, edit);
    if (focus) main.querySelector(`#${focus}`)?.focus();
  };
  const basics = edit ? settingsForm({ fields: [...facilityFields(kinds), ...CONDITIONS], row: d.facility, editing: true, submitLabel: "基本情報と予約の条件を保存する",
    aria: "基本情報と予約の条件",
    send: async (body) => { await api("PATCH", `/facilities/${id}`, body); toast("施設の設定を保存しました。"); await reload(); } }) : readOnly([...facilityFields(kinds), ...CONDITIONS], d.facility);
  const hours = edit ? settingsForm({ fields: HOURS, row: d.hours, editing: true, submitLabel: "開館時間を保存する", aria: "開館時間",
    send: async (body) => { await api("PUT", `/facilities/${id}/hours`, body); toast("開館時間を保存しました。"); await reload(); } }) : readOnly(HOURS, d.hours);
  const sections = LISTS.map((list) => listSection(list, d, edit, reload));
  const toc = sectionNav("この施設の設定", `#/facilities?id=${id}`,
    [["basics", "基本情報・予約の条件"], ["hours", "開館時間"], ...LISTS.map((l) => [`list-${l.key}`, l.title])]);
  const remove = edit && !Array.isArray(ctx.me.facility_ids) ? h("button", { type: "button", class: "danger", onclick: async () => {
    if (!(await confirmAction(`施設「${d.facility.name}」を削除します。予約のある施設は削除できません。`, "削除する"))) return;
    try { await api("DELETE", `/facilities/${id}`); toast("施設を削除しました。"); location.hash = "#/facilities"; } catch (err) { toast(err.message, "error"); }
  } }, "この施設を削除する") : null;
  main.replaceChildren(h("p", {}, h("a", { href: "#/facilities" }, "← 施設の一覧へ")),
    h("h1", {}, `${d.facility.name} の設定`), toc,
    h("section", { class: "card section", "aria-labelledby": "basics" }, h("h2", { id: "basics", tabindex: "-1" }, "基本情報・予約の条件"), basics),
    h("section", { class: "card section", "aria-labelledby": "hours" }, h("h2", { id: "hours", tabindex: "-1" }, "開館時間"),
      h("p", { class: "hint" }, "休館日・利用不可の日は「施設予約」の画面のカレンダーで登録します。"), hours),
    ...sections, remove ? h("p", { class: "section" }, remove) : null);
}

function sharedOf(unit, d) { return shared(d).filter((a) => unit.area_ids.includes(a.id)); }

function readOnly(fields, row) {
  return h("dl", { class: "facts" }, fields.filter((f) => !f.heading).flatMap((f) => [h("dt", {}, f.label), h("dd", {},
    f.type === "check" ? (row[f.name] ? "はい" : "いいえ") : f.type === "checks" ? (row[f.name] || []).map((v) => label(f.options, v)).join("・")
      : f.type === "select" ? label(f.options, row[f.name]) : f.type === "kind" ? kindLabel(f.kinds, row[f.name] ?? "") : f.type === "list" ? (row[f.name] || []).join("、") : String(row[f.name] ?? ""))]));
}

function listSection(list, d, edit, reload) {
  const rows = list.rows ? list.rows(d) : d[list.key];
  const fields = list.fields(d);
  const headId = `list-${list.key}`;
  const slot = h("div", { class: "list-form" });
  const open = (row) => {
    slot.replaceChildren(h("h3", {}, row ? `${list.what}「${row.name || row.label || row.time || ""}」を変更` : `${list.what}を追加`),
      settingsForm({ fields, row: row || {}, editing: !!row, submitLabel: row ? "変更を保存する" : "追加する",
        aria: row ? `${list.what}の変更` : `${list.what}の追加`, cancel: () => slot.replaceChildren(addButton),
        send: async (body) => {
          if (row) await api("PATCH", `${list.path}/${row.id}`, body);
          else await api("POST", ...list.create(d, body));
          toast(row ? `${list.what}を変更しました。` : `${list.what}を追加しました。`);
          await reload(headId);
        } }));
    slot.querySelector("input, select, textarea")?.focus();
  };
  const addButton = edit ? h("button", { type: "button", onclick: () => open(null), disabled: list.key === "fees" && !d.units.length }, `${list.what}を追加する`) : null;
  if (addButton) slot.append(addButton);
  const body = rows.length ? rows.map((row) => { const text = list.show(row, d).filter(Boolean).join("　"); return h("li", { class: "setting-row" },
    h("span", { class: "setting-text" }, text),
    edit ? h("span", { class: "row-actions" },
      h("button", { type: "button", class: "secondary", "aria-label": `${list.what}「${text}」を変更`, onclick: () => open(row) }, "変更"),
      h("button", { type: "button", class: "danger", "aria-label": `${list.what}「${text}」を削除`, onclick: async () => {
        if (!(await confirmAction(`${list.what}「${text}」を削除します。`, "削除する"))) return;
        try { await api("DELETE", `${list.path}/${row.id}`); toast(`${list.what}を削除しました。`); await reload(headId); }
        catch (err) { toast(err.message, "error"); }
      } }, "削除")) : null); })
    : [h("li", { class: "hint" }, "まだ登録がありません。")];
  return h("section", { class: "card section", "aria-labelledby": headId }, h("h2", { id: headId, tabindex: "-1" }, `${list.title}（${rows.length}件）`),
    list.help ? h("p", { class: "hint" }, list.help) : null, h("ul", { class: "setting-list", "aria-label": list.title }, body), slot);
}
