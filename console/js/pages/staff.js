// 職員・ロール (issue #16): staff accounts (create, change role, deactivate/reactivate, reset a password,
// unlock, 管理施設: limit a member to some facilities, 国富町 表3 no.2) and the roles with their permissions
// (read-only view of what each role may do).
import { api } from "../api.js";
import { h, field, showError, clearErrors, toast, confirmAction, listView } from "../ui.js";

function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return `${d.getFullYear()}/${d.getMonth() + 1}/${d.getDate()} ${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
}

// 管理施設: a checkbox per facility; none ticked means every facility (「全施設」).
function facilityPicker(facilities, chosen, legend) {
  const box = h("fieldset", { class: "facility-picker" }, h("legend", {}, legend),
    h("p", { class: "hint" }, "チェックした施設の予約・設定だけを扱えます。どれもチェックしなければ全施設を扱えます。"),
    h("div", { class: "checks", "data-field": "facility_ids" }, facilities.map((f) => h("label", { class: "check" },
      h("input", { type: "checkbox", name: "facility_ids", value: f.id, checked: chosen.includes(f.id) }), ` ${f.name}`))));
  box.value = () => [...box.querySelectorAll("input:checked")].map((i) => Number(i.value));
  return box;
}

export default async function staff(main, ctx) {
  const [accounts, roles, permissions, facilities] = await Promise.all([api("GET", "/staff"), api("GET", "/roles"), api("GET", "/permissions"),
    ctx.can("facilities.read") ? api("GET", "/facilities") : Promise.resolve([])]);
  const label = Object.fromEntries(permissions.map((p) => [p.name, p.label]));
  const roleName = Object.fromEntries(roles.map((r) => [r.id, r.name]));
  const pattern = (p) => (label[p] ? `${label[p]}（${p}）` : p === "*" ? "すべての権限（*）" : p === "*.read" ? "すべての閲覧（*.read）"
    : p.endsWith(".*") ? `${label[`${p.slice(0, -2)}.manage`] || label[`${p.slice(0, -2)}.edit`] || p.slice(0, -2)} ほか、この種類のすべて（${p}）` : p);
  const roleSelect = (value) => h("select", { name: "role_id" }, roles.map((r) => h("option", { value: r.id, selected: r.id === value }, r.name)));
  const reload = () => staff(main, ctx);

  const login = h("input", { name: "login", maxlength: "64", autocomplete: "off", required: true });
  const name = h("input", { name: "display_name", maxlength: "80", required: true });
  const password = h("input", { name: "password", type: "password", autocomplete: "new-password", required: true });
  const role = roleSelect(roles.find((r) => r.key === "viewer")?.id);
  const facilityName = Object.fromEntries(facilities.map((f) => [f.id, f.name]));
  const scopeText = (ids) => (ids.length ? ids.map((id) => facilityName[id] || `施設ID ${id}`).join("、") : "全施設");
  const picker = facilities.length ? facilityPicker(facilities, [], "管理施設（施設の予約・設定を扱う職員のみ）") : null;
  const create = h("form", { class: "card staff-create", novalidate: true, "aria-labelledby": "create-title" },
    h("h2", { id: "create-title" }, "職員アカウントを作る"),
    field("ログインID", login, "半角英小文字・数字と . _ @ -"), field("表示名（所属と氏名）", name, "例: 建設課 佐藤"),
    field("初期パスワード", password, "本人に別の方法で伝え、最初のログインで変えてもらってください。"), field("ロール", role),
    picker, h("button", { type: "submit" }, "作成する"));
  create.addEventListener("submit", async (ev) => {
    ev.preventDefault(); clearErrors(create);
    try {
      await api("POST", "/staff", { login: login.value.trim(), display_name: name.value.trim(), password: password.value, role_id: Number(role.value),
        facility_ids: picker ? picker.value() : null });
      toast(`職員アカウント「${name.value.trim()}」を作成しました。`);
      await reload();
    } catch (err) { showError(create, err); }
  });

  function actions(a) {
    const box = h("div", { class: "row-actions" });
    const sel = roleSelect(a.role_id);
    sel.setAttribute("aria-label", `${a.display_name}のロール`);
    sel.addEventListener("change", async () => {
      try { await api("PATCH", `/staff/${a.id}`, { role_id: Number(sel.value) }); toast(`${a.display_name}のロールを変更しました。`); }
      catch (err) { toast(err.message, "error"); sel.value = String(a.role_id); }
    });
    const toggle = h("button", { type: "button", class: a.active ? "danger" : "secondary", onclick: async () => {
      const text = a.active ? `${a.display_name}（${a.login}）を無効にします。ログインできなくなり、ログイン中の画面も閉じられます。` : `${a.display_name}（${a.login}）を有効に戻します。`;
      if (!(await confirmAction(text, a.active ? "無効にする" : "有効にする"))) return;
      try { await api("PATCH", `/staff/${a.id}`, { active: !a.active }); toast(a.active ? "無効にしました。" : "有効に戻しました。"); await reload(); }
      catch (err) { toast(err.message, "error"); }
    } }, a.active ? "無効にする" : "有効にする");
    const reset = h("button", { type: "button", class: "secondary", onclick: () => {
      box.querySelector("form")?.remove();
      const pw = h("input", { name: "password", type: "password", autocomplete: "new-password" });
      const form = h("form", { class: "inline-form", novalidate: true }, field(`${a.display_name}の新しいパスワード`, pw), h("button", { type: "submit" }, "再設定する"));
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault(); clearErrors(form);
        try { await api("POST", `/staff/${a.id}/password`, { password: pw.value }); toast("パスワードを再設定しました。本人にお伝えください。"); form.remove(); }
        catch (err) { showError(form, err); }
      });
      box.append(form); pw.focus();
    } }, "パスワード再設定…");
    const scope = facilities.length ? h("button", { type: "button", class: "secondary", onclick: () => {
      box.querySelector("form")?.remove();
      const pick = facilityPicker(facilities, a.facility_ids, `${a.display_name}の管理施設`);
      const form = h("form", { class: "inline-form", novalidate: true }, pick, h("button", { type: "submit" }, "管理施設を保存する"));
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault(); clearErrors(form);
        try {
          const saved = await api("PATCH", `/staff/${a.id}`, { facility_ids: pick.value() });
          toast(`${a.display_name}の管理施設を「${scopeText(saved.facility_ids)}」にしました。`); await reload();
        } catch (err) { showError(form, err); }
      });
      box.append(form); pick.querySelector("input")?.focus();
    } }, "管理施設…") : null;
    box.append(sel, reset, scope, toggle);
    if (a.locked) {
      box.append(h("button", { type: "button", class: "secondary", onclick: async () => {
        try { await api("POST", `/staff/${a.id}/unlock`); toast("ロックを解除しました。"); await reload(); } catch (err) { toast(err.message, "error"); }
      } }, "ロック解除"));
    }
    return box;
  }

  const list = listView({ rows: accounts, searchKeys: ["login", "display_name", "role"], caption: "職員アカウント",
    columns: [
      { key: "display_name", label: "表示名", sort: true }, { key: "login", label: "ログインID", sort: true },
      { key: "role", label: "ロール", sort: true, render: (a) => roleName[a.role_id] || a.role || "" },
      { key: "facility_ids", label: "管理施設", render: (a) => scopeText(a.facility_ids) },
      { key: "active", label: "状態", render: (a) => (a.active ? (a.locked ? "ロック中" : "有効") : "無効") },
      { key: "last_login_at", label: "最終ログイン", sort: true, render: (a) => when(a.last_login_at) },
      { key: "id", label: "操作", render: (a) => (a.id === ctx.me.id ? h("span", { class: "hint" }, "（ご自身）") : actions(a)) },
    ] });

  const roleTable = h("table", { class: "role-table" }, h("caption", {}, "ロールと権限（* はその種類のすべての権限）"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "ロール"), h("th", { scope: "col" }, "できること"))),
    h("tbody", {}, roles.map((r) => h("tr", {}, h("th", { scope: "row" }, r.name, r.builtin ? h("span", { class: "hint" }, "（標準）") : null),
      h("td", {}, h("ul", { class: "perm-list" }, r.permissions.map((p) => h("li", {}, pattern(p)))))))));
  main.replaceChildren(h("h1", {}, ctx.title),
    h("section", { "aria-labelledby": "accounts-title" }, h("h2", { id: "accounts-title" }, "職員アカウント"), list),
    create,
    h("section", { class: "section", "aria-labelledby": "roles-title" }, h("h2", { id: "roles-title" }, "ロールと権限"), roleTable,
      h("details", {}, h("summary", {}, `権限の一覧（${permissions.length}件）`),
        h("ul", {}, permissions.map((p) => h("li", {}, `${p.label}（${p.name}）`))))));
}
