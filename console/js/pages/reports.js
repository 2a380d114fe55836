// 通報 (issue #16): the inbox of road-damage reports — a map and a list with filters (status, kind,
// period, area, department), the detail with the photo, the place, what the citizen wrote and possible
// duplicates within 30 m, status changes with a note (templates: GET /reports/templates, kept on the
// report-templates page) pushed to the reporter in LINE,
// assignment to a department, CSV and GeoJSON export.
import { api, download } from "../api.js";
import { h, field, showError, clearErrors, toast, confirmAction } from "../ui.js";
import { pointMap } from "./map.js";

const STATUS = { received: "受付", in_progress: "対応中", done: "完了", rejected: "対応不可", duplicate: "重複" };
// Which status may follow which (as the API allows: civic.reports.models.TRANSITIONS).
const NEXT = { received: ["in_progress", "done", "rejected", "duplicate"], in_progress: ["done", "rejected", "duplicate"],
  done: ["in_progress"], rejected: ["in_progress"], duplicate: ["in_progress"] };
const DEPARTMENTS = ["建設課", "土木課", "環境課", "都市整備課", "総務課"];

function when(iso) {
  const d = new Date(iso);
  return `${d.getFullYear()}/${d.getMonth() + 1}/${d.getDate()} ${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

function select(name, options, value = "") {
  return h("select", { name }, options.map(([v, label]) => h("option", { value: v, selected: v === value }, label)));
}

export default async function reports(main, ctx) {
  // 回答テンプレート (staff keep them on the 回答テンプレート page): a start for the note the reporter reads
  const [categories, settings, templates] = await Promise.all([api("GET", "/reports/categories"), api("GET", "/reports/map"),
    api("GET", "/reports/templates")]);
  const state = { items: [], selected: null, total: 0 };
  const filters = h("form", { class: "toolbar report-filters", "aria-label": "通報の絞り込み" },
    field("状態", select("status", [["open", "未完了（受付・対応中）"], ["", "すべて"], ...Object.entries(STATUS)], "open")),
    field("種類", select("category", [["", "すべて"], ...categories.map((c) => [c.code, c.label])])),
    field("受付日（から）", h("input", { type: "date", name: "since" })),
    field("受付日（まで）", h("input", { type: "date", name: "until" })),
    field("地区・住所", h("input", { name: "area", maxlength: "80", placeholder: "例: 本町" })),
    field("担当課", h("input", { name: "department", maxlength: "80", list: "report-departments" })),
    h("datalist", { id: "report-departments" }, DEPARTMENTS.map((d) => h("option", { value: d }))),
    h("button", { type: "submit" }, "絞り込む"));
  const mapBox = h("div", { class: "report-map", id: "report-map", role: "region", "aria-label": "通報の地図（印を選ぶと詳細を表示）" });
  const mapNote = h("p", { class: "hint map-note", role: "status" });
  const listBox = h("div", { class: "report-list" });
  const pane = h("section", { class: "report-detail", "aria-labelledby": "report-title" },
    h("h2", { id: "report-title" }, "通報の詳細"), h("p", { class: "hint" }, "地図の印か一覧の受付番号を選んでください。"));
  const exports = h("div", { class: "row-actions" },
    h("button", { type: "button", class: "secondary", onclick: () => save("/reports.csv", "csv") }, "一覧をCSVで保存"),
    h("button", { type: "button", class: "secondary", onclick: () => save("/reports/geojson", "geojson") }, "地図データ（GeoJSON）を保存"));
  main.replaceChildren(h("h1", {}, ctx.title), filters, exports,
    h("div", { class: "report-layout" }, h("div", {}, mapBox, mapNote), listBox), pane);
  const map = await pointMap(mapBox, mapNote, settings);

  function query() {
    const f = new FormData(filters), p = new URLSearchParams();
    const status = f.get("status");
    if (status === "open") p.set("open_only", "true"); else if (status) p.set("status", status);
    if (f.get("category")) p.set("category", f.get("category"));
    if (f.get("since")) p.set("since", `${f.get("since")}T00:00:00`);
    if (f.get("until")) p.set("until", `${f.get("until")}T23:59:59`);
    if (f.get("area").trim()) p.set("area", f.get("area").trim());
    if (f.get("department").trim()) p.set("department", f.get("department").trim());
    return p;
  }

  async function save(path, kind) {
    try {
      const stamp = new Date().toISOString().slice(0, 10);
      await download(`${path}?${query()}`, `通報-${stamp}.${kind}`);
    } catch (err) { toast(err.message, "error"); }
  }

  async function refresh() {
    clearErrors(filters);
    const p = query(); p.set("limit", "500");
    let page;
    try { page = await api("GET", `/reports?${p}`); } catch (err) { showError(filters, err); return; }
    state.items = page.items; state.total = page.total;
    map.show(page.items.map((r) => ({ id: r.id, lat: r.latitude, lng: r.longitude, kind: r.status,
      label: `${r.receipt_no} ${r.category_label}（${r.status_label}）`, onSelect: () => open(r.id) })));
    const rows = page.items.map((r) => h("tr", { "data-report": r.id, class: r.id === state.selected ? "current" : null },
      h("td", {}, h("button", { type: "button", class: "link", onclick: () => open(r.id) }, r.receipt_no)),
      h("td", {}, r.category_label), h("td", {}, h("span", { class: `status-badge kind-${r.status}` }, r.status_label)),
      h("td", {}, r.address || "（住所なし）"), h("td", {}, when(r.created_at)), h("td", {}, r.department || "未割り当て")));
    listBox.replaceChildren(h("p", { class: "hint", "aria-live": "polite" },
      page.total > page.items.length ? `${page.total}件（新しい順に${page.items.length}件を表示）` : `${page.total}件`),
    h("div", { class: "table-wrap" }, h("table", {}, h("caption", {}, "通報の一覧（新しい順）"),
      h("thead", {}, h("tr", {}, ["受付番号", "種類", "状態", "場所", "受付日時", "担当課"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: "6" }, "条件に当てはまる通報はありません。"))))));
  }

  function statusForm(d) {
    const next = NEXT[d.status] || [];
    const to = select("status", next.map((s) => [s, STATUS[s]]));
    const note = h("textarea", { name: "note", rows: "3", maxlength: "1000" });
    const template = h("select", { name: "template" });
    const dupOf = select("duplicate_of", d.possible_duplicates.map((x) => [String(x.id), `${x.receipt_no}（${x.address || x.category_label}）`]));
    const dupField = field("重複の元になる通報", dupOf, "30 m 以内の同じ種類の未完了の通報から選びます。");
    function fill() {
      template.replaceChildren(h("option", { value: "" }, "テンプレートを使わない"),
        ...templates.filter((t) => t.status === to.value).map((t) => h("option", { value: t.text }, t.title)));
      dupField.hidden = to.value !== "duplicate";
    }
    to.addEventListener("change", fill);
    template.addEventListener("change", () => { if (template.value) note.value = template.value; });
    fill();
    const form = h("form", { class: "card report-status", novalidate: true, "aria-labelledby": "status-title" },
      h("h3", { id: "status-title" }, "状態を変更する"),
      field("新しい状態", to), field("回答テンプレート", template, "選ぶと下のお知らせ文に入ります。書き換えもできます。"),
      h("p", { class: "hint" }, h("a", { href: "#/report-templates" }, "回答テンプレートの一覧・編集へ")),
      field("通報者へのお知らせ（担当者より）", note, "状態の変更とあわせて、通報者に LINE で届きます。"), dupField,
      h("button", { type: "submit" }, "変更して通報者に知らせる"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault(); clearErrors(form);
      const body = { status: to.value, note: note.value.trim() };
      if (to.value === "duplicate") {
        if (!dupOf.value) { showError(form, { field: "duplicate_of", message: "重複の元になる通報がありません。近くの通報を確かめてください。" }); return; }
        body.duplicate_of = Number(dupOf.value);
      }
      if (!(await confirmAction(`受付番号 ${d.receipt_no} を「${STATUS[to.value]}」にし、通報者に LINE でお知らせします。`, "変更して知らせる"))) return;
      try {
        await api("POST", `/reports/${d.id}/status`, body);
        toast(`「${STATUS[to.value]}」に変更し、通報者にお知らせしました。`);
        await refresh(); await open(d.id);
      } catch (err) { showError(form, err); }
    });
    return next.length ? form : null;
  }

  function departmentForm(d) {
    const input = h("input", { name: "department", maxlength: "80", list: "report-departments", value: d.department });
    const form = h("form", { class: "card report-assign", novalidate: true, "aria-labelledby": "assign-title" },
      h("h3", { id: "assign-title" }, "担当課の割り当て"), field("担当課", input, "空欄にして保存すると割り当てを外します。"),
      h("button", { type: "submit", class: "secondary" }, "担当課を保存する"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault(); clearErrors(form);
      try {
        await api("PUT", `/reports/${d.id}/department`, { department: input.value.trim() });
        toast(input.value.trim() ? `担当課を「${input.value.trim()}」にしました。` : "担当課の割り当てを外しました。");
        await refresh(); await open(d.id);
      } catch (err) { showError(form, err); }
    });
    return form;
  }

  async function open(id) {
    state.selected = id;
    listBox.querySelectorAll("tr[data-report]").forEach((tr) => tr.classList.toggle("current", Number(tr.dataset.report) === id));
    const d = await api("GET", `/reports/${id}`);
    map.focus(id);
    const photo = h("div", { class: "report-photo" }, d.photo_url ? h("p", { class: "hint" }, "写真を読み込み中…") : h("p", { class: "hint" }, "写真はありません。"));
    const facts = h("dl", { class: "facts" },
      h("dt", {}, "種類"), h("dd", {}, d.category_label),
      h("dt", {}, "状態"), h("dd", {}, h("span", { class: `status-badge kind-${d.status}` }, d.status_label)),
      h("dt", {}, "受付日時"), h("dd", {}, when(d.created_at)),
      h("dt", {}, "場所"), h("dd", {}, d.address || "（住所なし）", h("br"),
        `緯度 ${d.latitude.toFixed(5)}、経度 ${d.longitude.toFixed(5)}（${d.location_source === "line" ? "LINE の位置情報" : "住所から推定"}）`),
      h("dt", {}, "通報者の説明"), h("dd", { class: "report-text" }, d.description || "（説明なし）"),
      h("dt", {}, "担当課"), h("dd", {}, d.department || "未割り当て"));
    const dupes = d.possible_duplicates.length
      ? h("ul", { class: "report-dupes" }, d.possible_duplicates.map((x) => h("li", {},
        h("button", { type: "button", class: "link", onclick: () => open(x.id) }, x.receipt_no),
        ` ${x.category_label}・${x.status_label}・${x.address || "住所なし"}・${when(x.created_at)}`)))
      : h("p", { class: "hint" }, "30 m 以内に同じ種類の未完了の通報はありません。");
    const steps = h("ol", { class: "report-history" }, d.history.map((s) => h("li", {},
      `${when(s.at)} ${s.to_label}`, s.staff_name ? `（${s.staff_name}）` : "", s.notified ? "・通報者に通知済み" : "",
      s.note ? h("p", {}, s.note) : null)));
    pane.replaceChildren(h("h2", { id: "report-title" }, `通報 ${d.receipt_no}`),
      h("div", { class: "report-detail-cols" }, h("div", {}, photo, facts),
        h("div", {}, h("h3", {}, "重複の可能性（30 m 以内）"), dupes, h("h3", {}, "対応の履歴"), steps)),
      ctx.can("reports.manage") ? h("div", { class: "report-forms" }, statusForm(d), departmentForm(d)) : null);
    pane.dataset.report = String(id);
    if (d.photo_url) {
      try {
        const blob = await api("GET", `/reports/${id}/photo`);
        photo.replaceChildren(h("img", { src: URL.createObjectURL(blob), alt: `通報 ${d.receipt_no} の写真`, class: "report-image" }));
      } catch (err) { photo.replaceChildren(h("p", { class: "field-error" }, err.message)); }
    }
    pane.scrollIntoView({ block: "start" });
  }

  filters.addEventListener("submit", (ev) => { ev.preventDefault(); refresh(); });
  await refresh();
}
