// Shared helpers for every page: element building, toasts, confirmation, inline field errors, lists.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

let toastTimer;
export function toast(message, kind = "ok") {
  const el = document.getElementById("toast");
  el.textContent = message; el.className = `toast show ${kind}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { el.className = "toast"; }, 5000);
}

// Asks before anything is sent to citizens or deleted; resolves true only on 「実行する」.
export function confirmAction(text, yesLabel = "実行する") {
  const dlg = document.getElementById("confirm");
  document.getElementById("confirm-text").textContent = text;
  const yes = document.getElementById("confirm-yes"), no = document.getElementById("confirm-no");
  yes.textContent = yesLabel;
  return new Promise((resolve) => {
    const done = (v) => { dlg.close(); yes.onclick = no.onclick = null; resolve(v); };
    yes.onclick = () => done(true); no.onclick = () => done(false);
    dlg.oncancel = () => done(false);
    dlg.showModal(); no.focus();
  });
}

// Shows an API error beside its field (data-field="name") or, without one, at the top of the form.
export function showError(form, err) {
  clearErrors(form);
  const input = err.field && form.querySelector(`[name="${CSS.escape(err.field)}"]`);
  const note = h("p", { class: "field-error", role: "alert", id: `err-${Math.random().toString(36).slice(2)}` }, err.message);
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", note.id);
    // a group of checkboxes (管理施設, 曜日区分): the message after the group, not inside its first label
    ((input.type === "checkbox" && input.closest("fieldset")) || input).insertAdjacentElement("afterend", note);
    input.focus();
  } else {
    form.prepend(note);
  }
}
export function clearErrors(form) {
  form.querySelectorAll(".field-error").forEach((e) => e.remove());
  form.querySelectorAll("[aria-invalid]").forEach((e) => { e.removeAttribute("aria-invalid"); e.removeAttribute("aria-describedby"); });
}

export function field(label, input, hint) {
  const id = input.id || (input.id = `f-${Math.random().toString(36).slice(2)}`);
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hint ? h("p", { class: "hint" }, hint) : null);
}

// A list with search, sorting and paging done in the page (rows are already loaded).
// columns: [{key, label, render?(row), sort?: true}]
// Buttons-like links to the sections of a long page (``[[heading id, text]]``): the hash is the page's
// route, so a link scrolls to its heading instead of following ``href``.
export function sectionNav(label, href, entries) {
  return h("nav", { class: "section-nav", "aria-label": label }, h("ul", {}, entries.map(([id, text]) => h("li", {},
    h("a", { href, onclick: (ev) => { ev.preventDefault(); const to = document.getElementById(id); to?.scrollIntoView(); to?.focus(); } }, text)))));
}

// ``name``: what the rows are (地区, 分別), when a page has more than one list — it names the filter box and
// the page buttons of each, so a screen reader tells them apart.
export function listView({ rows, columns, searchKeys = [], pageSize = 20, caption, name, placeholder }) {
  const state = { q: "", sort: null, dir: 1, page: 0 };
  const search = h("input", { type: "search", placeholder: placeholder || "キーワードで絞り込み",
    "aria-label": name ? `${name}を絞り込み` : "キーワードで絞り込み" });
  const body = h("tbody");
  const status = h("p", { class: "hint", "aria-live": "polite" });
  const pager = h("div", { class: "pager" });
  const heads = columns.map((c) => {
    const th = h("th", { scope: "col" });
    if (c.sort) {
      const b = h("button", { type: "button", class: "link", onclick: () => {
        state.dir = state.sort === c.key ? -state.dir : 1; state.sort = c.key; render();
      } }, c.label);
      th.append(b);
    } else th.textContent = c.label;
    return th;
  });
  function render() {
    const q = state.q.trim().toLowerCase();
    let list = rows.filter((r) => !q || searchKeys.some((k) => String(r[k] ?? "").toLowerCase().includes(q)));
    if (state.sort) list = [...list].sort((a, b) => (a[state.sort] > b[state.sort] ? 1 : a[state.sort] < b[state.sort] ? -1 : 0) * state.dir);
    heads.forEach((th, i) => th.setAttribute("aria-sort", state.sort === columns[i].key ? (state.dir > 0 ? "ascending" : "descending") : "none"));
    const pages = Math.max(1, Math.ceil(list.length / pageSize));
    state.page = Math.min(state.page, pages - 1);
    body.replaceChildren(...list.slice(state.page * pageSize, (state.page + 1) * pageSize).map((r) =>
      h("tr", {}, columns.map((c) => h("td", {}, c.render ? c.render(r) : String(r[c.key] ?? ""))))));
    if (!list.length) body.append(h("tr", {}, h("td", { colspan: columns.length }, "該当するものはありません。")));
    status.textContent = `${list.length}件`;
    pager.replaceChildren(
      h("button", { type: "button", class: "secondary", disabled: state.page === 0, "aria-label": name ? `前へ（${name}）` : null,
        onclick: () => { state.page--; render(); } }, "前へ"),
      h("span", {}, `${state.page + 1} / ${pages} ページ`),
      h("button", { type: "button", class: "secondary", disabled: state.page >= pages - 1, "aria-label": name ? `次へ（${name}）` : null,
        onclick: () => { state.page++; render(); } }, "次へ"));
  }
  search.addEventListener("input", () => { state.q = search.value; state.page = 0; render(); });
  render();
  return h("div", { class: "list" }, search, status,
    h("div", { class: "table-wrap" }, h("table", {}, caption ? h("caption", {}, caption) : null, h("thead", {}, h("tr", {}, heads)), body)), pager);
}
