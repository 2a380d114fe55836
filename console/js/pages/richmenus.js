// リッチメニュー (国富町 §9(2)(ウ)①〜④⑦): the menus, tabs side by side, what each account shows
// (default and per segment), publishing to the test account, the simulator, promotion to
// production, versions and rollback. The editor is in richmenu-editor.js.
// API calls: open = GET /richmenus, /richmenu-groups, /richmenu-accounts, per account …/targets and
// …/releases (+ /segments, /stats/richmenu-taps when permitted), in parallel.
import { api } from "../api.js";
import { h, field, listView, showError, clearErrors, toast, confirmAction } from "../ui.js";
import { editMenu, imageUrl, confirmDelete } from "./richmenu-editor.js";

const STATUS = { applied: "公開済み", pending: "公開中", failed: "失敗（再実行できます）" };
const when = (t) => (t ? new Date(t).toLocaleString("ja-JP") : "—");
const iso = (d) => new Intl.DateTimeFormat("sv-SE", { timeZone: "Asia/Tokyo" }).format(d);

export default async function richmenus(main, ctx) {
  const editable = ctx.can("richmenus.edit");
  const [menus, groups, options, segments, taps] = await Promise.all([
    api("GET", "/richmenus"), api("GET", "/richmenu-groups"), api("GET", "/richmenu-accounts"),
    ctx.can("segments.read") ? api("GET", "/segments") : Promise.resolve([]),
    ctx.can("stats.read") ? api("GET", `/stats/richmenu-taps?since=${iso(new Date(Date.now() - 29 * 864e5))}&until=${iso(new Date())}`) : Promise.resolve(null),
  ]);
  const accounts = {};
  await Promise.all(options.accounts.map(async (a) => {
    const [targets, releases] = await Promise.all([api("GET", `/richmenu-accounts/${a.account}/targets`), api("GET", `/richmenu-accounts/${a.account}/releases`)]);
    accounts[a.account] = { ...a, targets, releases };
  }));
  const menuName = (id) => menus.find((m) => m.id === id)?.name ?? `（削除されたメニュー ${id}）`;
  const segmentName = (id) => segments.find((s) => String(s.id) === id)?.name ?? `セグメント ${id}`;

  const reload = async (then) => {
    const [m, g] = await Promise.all([api("GET", "/richmenus"), api("GET", "/richmenu-groups")]);
    menus.splice(0, menus.length, ...m); groups.splice(0, groups.length, ...g);
    then();
  };
  // tap counts only for menus some version published (an unpublished menu has no taps to show)
  const published = (id) => Object.values(accounts).some((a) => a.releases.some((r) => r.menu_ids.includes(id)));
  const open = (menu) => editMenu(main, ctx, { menu, all: menus, groups, options, taps: published(menu.id) ? taps : null, back: () => reload(showList), reopen: (m) => reload(() => open(menus.find((x) => x.id === m.id) || m)) });

  function shownOn(menu) {
    const out = [];
    for (const a of Object.values(accounts)) {
      if (a.targets.default_menu_id === menu.id) out.push(`${a.name}（全員）`);
      for (const s of a.targets.segments) if (s.menu_id === menu.id) out.push(`${a.name}（${segmentName(s.segment_id)}）`);
    }
    return out.join("、") || "—";
  }

  function showList() {
    const columns = [
      { key: "name", label: "名前", sort: true },
      { key: "group", label: "タブ", render: (r) => (r.group_id ? `「${r.tab_label || r.name}」（${groups.find((g) => g.id === r.group_id)?.name ?? ""}）` : "—") },
      { key: "problems", label: "状態", render: (r) => `領域${r.areas.length}個・${r.problems.length ? `直すところ${r.problems.length}件` : "公開できます"}` },
      { key: "shown", label: "表示設定", render: (r) => shownOn(r) },
      { key: "updated_at", label: "更新日時", sort: true, render: (r) => when(r.updated_at) },
      { key: "id", label: "操作", render: (r) => h("div", { class: "row-actions" },
        h("button", { type: "button", class: "secondary", onclick: () => open(r), "aria-label": `「${r.name}」を${editable ? "編集" : "見る"}` }, editable ? "編集" : "見る"),
        editable ? h("button", { type: "button", class: "danger", onclick: () => remove(r), "aria-label": `「${r.name}」を削除` }, "削除") : null) },
    ];
    main.replaceChildren(...[h("h1", {}, ctx.title),
      editable ? h("p", {}, h("button", { type: "button", onclick: create }, "新しいメニューを作る")) : null,
      h("div", { class: "richmenu-list" }, listView({ rows: menus, columns, searchKeys: ["name", "tab_label"], caption: "リッチメニュー" })),
      groupsSection(), ...options.accounts.map((a) => accountSection(accounts[a.account]))].filter(Boolean));
  }

  async function remove(menu) {
    if (!(await confirmDelete(menu))) return;
    try {
      await api("DELETE", `/richmenus/${menu.id}`);
      toast(`「${menu.name}」を削除しました。`);
      reload(showList);
    } catch (err) {
      toast(err.message, "error");
      main.querySelector("h1").after(h("p", { class: "field-error", role: "alert" }, err.message));
    }
  }

  function create() {
    const name = h("input", { name: "name", maxlength: 100, required: true });
    const chatBar = h("input", { name: "chat_bar_text", maxlength: 14, value: "メニュー", required: true });
    const size = h("select", { name: "size" }, h("option", { value: "full" }, "大（2500×1686 ピクセル、6マスほど）"),
      h("option", { value: "compact" }, "小（2500×843 ピクセル、3マスほど）"));
    const form = h("form", { class: "editor", novalidate: true }, h("h1", {}, "新しいリッチメニュー"),
      field("名前（管理用）", name), field("トーク画面下部の文字（14文字以内）", chatBar), field("大きさ", size),
      h("p", { class: "hint" }, "作成したあと、画像をアップロードするかタイルから作り、その上に領域を描きます。"),
      h("div", { class: "actions" }, h("button", { type: "button", class: "secondary", onclick: showList }, "一覧に戻る"),
        h("button", { type: "submit" }, "作成する")));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault(); clearErrors(form);
      const px = size.value === "full" ? { width: 2500, height: 1686 } : { width: 2500, height: 843 };
      try {
        const out = await api("POST", "/richmenus", { name: name.value, chat_bar_text: chatBar.value, size: px, areas: [] });
        toast(`「${out.name}」を作成しました。次に画像を用意してください。`);
        reload(() => open(out));
      } catch (err) { showError(form, err); }
    });
    main.replaceChildren(form);
    name.focus();
  }

  // Tabs: each group's menus side by side, in tab order.
  function groupsSection() {
    const name = h("input", { name: "name", maxlength: 100 });
    const add = h("form", { class: "toolbar", novalidate: true }, field("新しいグループの名前", name), h("button", { type: "submit" }, "グループを作る"));
    add.addEventListener("submit", async (ev) => {
      ev.preventDefault(); clearErrors(add);
      try { const g = await api("POST", "/richmenu-groups", { name: name.value }); toast(`グループ「${g.name}」を作りました。`); reload(showList); } catch (err) { showError(add, err); }
    });
    return h("section", { class: "card section", "aria-labelledby": "groups-h" }, h("h2", { id: "groups-h" }, "タブ（切り替えるメニューのグループ）"),
      h("p", { class: "hint" }, "同じグループのメニューは、画像の上部のタブで切り替わります。メニューの編集画面でグループとタブの表示名を選んでください。"),
      groups.length ? groups.map((g) => h("div", { class: "group" }, h("h3", {}, g.name), editable ? groupTools(g) : null,
        h("ul", { class: "tab-strip" }, g.menus.map((gm) => {
          const m = menus.find((x) => x.id === gm.id), img = h("img", { alt: "" });
          if (m) imageUrl(m).then((u) => { if (u) img.src = u; });
          return h("li", {}, img, h("button", { type: "button", class: "secondary", onclick: () => m && open(m) }, `「${gm.tab_label || gm.name}」を開く`));
        })))) : h("p", {}, "グループはまだありません。"),
      editable ? add : null);
  }

  // Rename a group, or delete it once it has no menus (the API says so otherwise).
  function groupTools(g) {
    const name = h("input", { name: "name", value: g.name, maxlength: 100 });
    const form = h("form", { class: "toolbar", novalidate: true }, field(`グループ「${g.name}」の名前`, name),
      h("button", { type: "submit", class: "secondary" }, "名前を変える"),
      h("button", { type: "button", class: "danger", onclick: async () => {
        if (!(await confirmAction(`グループ「${g.name}」を削除します。よろしいですか。`, "削除する"))) return;
        try { await api("DELETE", `/richmenu-groups/${g.id}`); toast(`グループ「${g.name}」を削除しました。`); reload(showList); } catch (err) { showError(form, err); }
      } }, "グループを削除"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault(); clearErrors(form);
      try { const out = await api("PATCH", `/richmenu-groups/${g.id}`, { name: name.value }); toast(`グループ名を「${out.name}」にしました。`); reload(showList); } catch (err) { showError(form, err); }
    });
    return form;
  }

  // One account: what it shows, publishing, the simulator, versions and rollback.
  function accountSection(a) {
    const may = ctx.can(a.permission);
    const isTest = a.account === "test";
    const menuSelect = (value, label) => h("select", { "aria-label": label }, h("option", { value: "" }, "表示しない"),
      menus.map((m) => h("option", { value: m.id, selected: m.id === value }, m.name)));
    const def = menuSelect(a.targets.default_menu_id, `${a.name}で友だち全員に表示するメニュー`);
    def.name = "default_menu_id";
    const rows = h("ol", { class: "segment-targets" });
    const segRow = (t) => {
      const seg = segments.length ? h("select", { "aria-label": "セグメント" }, segments.map((s) => h("option", { value: s.id, selected: String(s.id) === t?.segment_id }, s.name)))
        : h("input", { value: t?.segment_id || "", "aria-label": "セグメントID" });
      const menu = menuSelect(t?.menu_id, "このセグメントに表示するメニュー");
      const li = h("li", { class: "condition-head" }, seg, menu, may ? h("button", { type: "button", class: "secondary", onclick: () => li.remove() }, "削除") : null);
      li.read = () => (seg.value && menu.value ? { segment_id: seg.value, menu_id: Number(menu.value) } : null);
      return li;
    };
    a.targets.segments.forEach((t) => rows.append(segRow(t)));
    if (!may && !a.targets.segments.length) rows.append(h("li", {}, "設定はありません。"));
    const targets = h("form", { class: "targets", novalidate: true },
      h("h3", {}, "表示するメニュー"), field("友だち全員（既定）", def),
      h("p", { class: "hint" }, "セグメント別（上にあるものが優先）："), rows,
      may ? h("div", { class: "row-actions" },
        segments.length || !ctx.can("segments.read") ? h("button", { type: "button", class: "secondary", onclick: () => rows.append(segRow(null)) }, "セグメント別の表示を追加") : null,
        h("button", { type: "submit" }, "表示設定を保存")) : null);
    if (!may) targets.querySelectorAll("input, select").forEach((e) => { e.disabled = true; });
    targets.addEventListener("submit", async (ev) => {
      ev.preventDefault(); clearErrors(targets);
      try {
        a.targets = await api("PUT", `/richmenu-accounts/${a.account}/targets`, {
          default_menu_id: def.value ? Number(def.value) : null, segments: [...rows.children].map((li) => li.read()).filter(Boolean) });
        toast(`${a.name}の表示設定を保存しました。公開すると LINE に反映されます。`);
      } catch (err) { showError(targets, err); }
    });

    const act = async (method, path, question, yes, done) => {
      if (question && !(await confirmAction(question, yes))) return;
      const busy = section.querySelectorAll("button"); busy.forEach((b) => { b.disabled = true; });
      try {
        const r = await api(method, path);
        a.releases = await api("GET", `/richmenu-accounts/${a.account}/releases`);
        toast(done(r));
      } catch (err) {
        toast(err.message, "error");
        a.releases = await api("GET", `/richmenu-accounts/${a.account}/releases`).catch(() => a.releases);
        section.replaceWith(accountSection(a));
        document.querySelector(`[data-account="${a.account}"] .actions-bar`)?.after(h("p", { class: "field-error", role: "alert" }, err.message));
        return;
      }
      if (!isTest) { section.replaceWith(accountSection(a)); return; }
      reload(showList);
    };
    const latest = a.releases[0];
    const bar = h("div", { class: "row-actions actions-bar" },
      may && isTest ? h("button", { type: "button", onclick: () => act("POST", "/richmenu-accounts/test/publish", null, null, (r) => `テスト用アカウントに第${r.number}版を公開しました。`) }, "テスト用アカウントに公開") : null,
      isTest && a.simulator_url ? h("a", { class: "button secondary", href: a.simulator_url, target: "_blank", rel: "noopener" }, "シミュレーターで確かめる（新しいタブ）") : null,
      may && !isTest ? h("button", { type: "button", onclick: () => act("POST", "/richmenu-accounts/production/promote",
        "テスト用アカウントで確かめた最新の版を、公開用アカウントに公開します。友だち全員のメニューが変わります。よろしいですか。", "公開する",
        (r) => `公開用アカウントに第${r.number}版を公開しました。`) }, "テスト用の内容を公開用アカウントに反映") : null,
      may && !isTest ? h("button", { type: "button", class: "secondary", onclick: () => act("POST", "/richmenu-accounts/production/publish",
        "公開用アカウントの表示設定で新しい版を作り、公開します。友だち全員のメニューが変わります。よろしいですか。", "公開する",
        (r) => `公開用アカウントに第${r.number}版を公開しました。`) }, "この表示設定で公開") : null,
      may && latest?.status === "failed" ? h("button", { type: "button", class: "secondary", onclick: () => act("POST", `/richmenu-accounts/${a.account}/retry`, null, null, (r) => `第${r.number}版の公開を再実行しました。`) }, "失敗した公開を再実行") : null);
    const releases = h("div", { class: "table-wrap" }, h("table", { "data-testid": `releases-${a.account}` }, h("caption", {}, `${a.name}の版`),
      h("thead", {}, h("tr", {}, ["版", "状態", "内容", "公開した人", "日時", "操作"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, a.releases.length ? a.releases.map((r, i) => h("tr", {},
        h("td", {}, `第${r.number}版${i === 0 ? "（最新）" : ""}`), h("td", {}, STATUS[r.status] || r.status),
        h("td", {}, `${r.default_menu_id ? `全員に「${menuName(r.default_menu_id)}」` : "既定のメニューなし"}、メニュー${r.menu_ids.length}個`,
          r.source.startsWith("rollback:") ? `（第${r.source.slice(9)}版に戻したもの）` : r.source.startsWith("promote:") ? "（テスト用から反映）" : "",
          r.error ? h("span", { class: "field-error" }, ` ${r.error}`) : null),
        h("td", {}, r.created_by), h("td", {}, when(r.applied_at || r.created_at)),
        h("td", {}, may && i > 0 ? h("button", { type: "button", class: "secondary",
          onclick: () => act("POST", `/richmenu-accounts/${a.account}/releases/${r.number}/rollback`,
            `${a.name}のメニューを第${r.number}版に戻します。${isTest ? "" : "友だち全員のメニューが変わります。"}よろしいですか。`, "戻す",
            (out) => `第${r.number}版に戻しました（第${out.number}版として公開）。`) }, `第${r.number}版に戻す`) : "—")))
        : [h("tr", {}, h("td", { colspan: 6 }, "まだ公開していません。"))])));
    const section = h("section", { class: "card section", "aria-labelledby": `acc-${a.account}`, "data-account": a.account },
      h("h2", { id: `acc-${a.account}` }, a.name),
      h("p", { class: "hint" }, isTest ? "まずテスト用アカウントに公開し、シミュレーターや職員のスマートフォンで確かめてから、公開用アカウントに反映します。"
        : "町民の皆さんが見ているメニューです。「テスト用の内容を公開用アカウントに反映」は、テスト用アカウントで確かめた最新の版をそのまま公開します。"
        + "「この表示設定で公開」は、下の表示設定で新しい版を作って公開します。"),
      targets, bar, releases);
    return section;
  }

  showList();
}
