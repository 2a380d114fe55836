// シナリオ: the staff-authored conversation trees, edited as a tree of steps — each step's messages
// (up to 3) and its buttons (each leads to another step, an FAQ answer, a web page or a bot feature).
// The draft is what the town's test LINE account gets, so a scenario can be tried there before 「公開する」.
// API calls: GET /scenarios, POST /scenarios, GET|PUT /scenarios/{id}, POST /scenarios/{id}/publish|unpublish.
import { api } from "../api.js";
import { h, field, toast, confirmAction, showError, clearErrors } from "../ui.js";
import { when } from "./content-common.js";

const KINDS = { next: "次のステップへ", faq: "FAQ の回答", url: "ホームページを開く", flow: "ボットの機能" };
const FLOWS = { garbage: "ごみ分別", facility: "施設案内", report: "通報", faq: "よくある質問", booking: "施設予約", procedure: "手続きナビ" };

function stylesheet() {
  if (document.querySelector('link[data-page="procedure-trees"]')) return;
  document.head.append(h("link", { rel: "stylesheet", href: "/admin/css/procedure-trees.css", "data-page": "procedure-trees" }));
}

const kindOf = (o) => Object.keys(KINDS).find((k) => o[k]) || "next";

export default async function scenarios(main, ctx) {
  stylesheet();
  main.querySelector("p.hint")?.remove();
  const editable = ctx.can("scenarios.edit"), publishable = ctx.can("scenarios.publish");
  const listBox = h("section", { "aria-labelledby": "sc-list-h" });
  const editBox = h("section", { "aria-labelledby": "sc-edit-h", hidden: true });
  main.append(h("p", { class: "hint" }, "キーワードで始まる会話の流れ（ステップごとのメッセージとボタン）を作ります。",
    "下書きはテスト用の LINE アカウントで動くので、試してから「公開する」と利用者に届きます。"), listBox, editBox);

  async function showList() {
    const rows = await api("GET", "/scenarios");
    const create = editable ? h("button", { type: "button", onclick: async () => {
      const key = `scenario-${Date.now().toString(36)}`;
      const made = await api("POST", "/scenarios", { key, title: "新しいシナリオ", keywords: [], start: "start",
        nodes: { start: { messages: ["ご用件をお選びください。"], options: [] } } });
      await showList(); await openScenario(made.id);
    } }, "新しいシナリオを作る") : null;
    listBox.replaceChildren(h("h2", { id: "sc-list-h" }, "シナリオ"), h("div", { class: "toolbar" }, create),
      h("table", { class: "list tree-list" }, h("caption", { class: "hint" }, `${rows.length}件`),
        h("thead", {}, h("tr", {}, ["名前", "キーワード", "状態", "最終更新", "操作"].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, rows.map((r) => h("tr", {}, h("td", {}, r.title), h("td", {}, r.keywords.join("、") || "—"),
          h("td", {}, r.published_version === null ? "未公開（下書きのみ）" : r.unpublished_changes ? "公開中・未公開の下書きあり" : "公開中"),
          h("td", {}, `${when(r.updated_at)}（${r.updated_by || "—"}）`),
          h("td", {}, h("button", { type: "button", class: "secondary", "aria-label": `「${r.title}」を${editable ? "編集" : "見る"}`,
            onclick: () => openScenario(r.id) }, editable ? "編集" : "見る")))))));
  }

  // the chat simulator of the test account, where a draft runs (when the service has one)
  let simulator = null;
  if (ctx.can("richmenus.read")) {
    try { simulator = (await api("GET", "/richmenu-accounts")).accounts.find((a) => a.simulator_url)?.simulator_url || null; } catch { simulator = null; }
  }

  async function openScenario(id) {
    let row = await api("GET", `/scenarios/${id}`);
    const tree = structuredClone(row.draft);
    tree.keywords = tree.keywords || [];
    tree.title = tree.title || row.title;
    const form = h("form", { novalidate: true, "aria-label": "シナリオの編集" });
    const treeBox = h("div", { class: "scenario-tree", "data-testid": "scenario-tree" });

    function optionRow(name, node, o, i) {
      const kind = h("select", { "aria-label": `ステップ「${name}」のボタン${i + 1}の行き先の種類`, disabled: !editable },
        Object.entries(KINDS).map(([k, v]) => h("option", { value: k, selected: kindOf(o) === k }, v)));
      const label = h("input", { value: o.label, maxlength: 20, "aria-label": `ステップ「${name}」のボタン${i + 1}の文字`, readonly: !editable,
        oninput: () => { o.label = label.value; } });
      let target;
      const k = kindOf(o);
      if (k === "next") {
        target = h("select", { "aria-label": `ステップ「${name}」のボタン${i + 1}の次のステップ`, disabled: !editable },
          h("option", { value: "" }, "（選んでください）"),
          Object.keys(tree.nodes).map((n) => h("option", { value: n, selected: o.next === n }, n)),
          h("option", { value: "__new" }, "＋ 新しいステップを作る"));
        target.addEventListener("change", () => {
          if (target.value === "__new") {
            let n = 1; while (tree.nodes[`step${n}`]) n += 1;
            tree.nodes[`step${n}`] = { messages: ["（メッセージを書いてください）"], options: [] };
            o.next = `step${n}`;
            draw();
          } else { o.next = target.value; draw(); }
        });
      } else if (k === "flow") {
        target = h("select", { "aria-label": `ステップ「${name}」のボタン${i + 1}の機能`, disabled: !editable,
          onchange: () => { o.flow = target.value; } }, Object.entries(FLOWS).map(([f, v]) => h("option", { value: f, selected: o.flow === f }, v)));
      } else {
        target = h("input", { value: o[k] || "", "aria-label": `ステップ「${name}」のボタン${i + 1}の${k === "url" ? "URL" : "FAQ の ID"}`,
          readonly: !editable, oninput: () => { o[k] = target.value; } });
      }
      kind.addEventListener("change", () => {
        for (const t of Object.keys(KINDS)) delete o[t];
        o[kind.value] = kind.value === "flow" ? "faq" : "";
        draw();
      });
      const remove = editable ? h("button", { type: "button", class: "secondary", "aria-label": `ステップ「${name}」のボタン${i + 1}を削除`,
        onclick: () => { node.options.splice(i, 1); draw(); } }, "削除") : null;
      return h("li", { class: "inline-fields" }, "ボタン ", label, " → ", kind, " ", target, " ", remove);
    }

    function nodeCard(name, seen, depth) {
      const node = tree.nodes[name];
      if (!node) return h("li", {}, h("span", { class: "field-error" }, `ステップ「${name}」がありません`));
      if (seen.has(name)) return h("li", { class: "hint" }, `→ ステップ「${name}」へ（上に表示）`);
      seen.add(name);
      const messages = node.messages.map((m, i) => {
        const ta = h("textarea", { rows: 2, maxlength: 1000, "aria-label": `ステップ「${name}」のメッセージ${i + 1}`, readonly: !editable,
          oninput: () => { node.messages[i] = ta.value; } });
        ta.value = m;
        return ta;
      });
      const children = node.options.filter((o) => o.next).map((o) => nodeCard(o.next, seen, depth + 1));
      return h("li", { class: "card", "data-node": name },
        h("h4", {}, name === tree.start ? `ステップ「${name}」（最初）` : `ステップ「${name}」`),
        ...messages,
        editable && node.messages.length < 3 ? h("button", { type: "button", class: "secondary", onclick: () => { node.messages.push(""); draw(); } }, "メッセージを追加") : null,
        h("ul", {}, node.options.map((o, i) => optionRow(name, node, o, i))),
        editable && node.options.length < 12 ? h("button", { type: "button", class: "secondary",
          "aria-label": `ステップ「${name}」にボタンを追加`, onclick: () => { node.options.push({ label: "新しいボタン", flow: "faq" }); draw(); } }, "ボタンを追加") : null,
        children.length ? h("ul", {}, children) : null);
    }

    function draw() {
      const seen = new Set();
      const top = [nodeCard(tree.start, seen, 0)];
      const unreachable = Object.keys(tree.nodes).filter((n) => !seen.has(n));
      treeBox.replaceChildren(h("ul", {}, top), ...(unreachable.length ? [h("div", {}, h("h4", {}, "どこからも行けないステップ"),
        h("ul", {}, unreachable.flatMap((n) => [nodeCard(n, seen, 0), editable ? h("li", {}, h("button", { type: "button", class: "secondary",
          "aria-label": `ステップ「${n}」を削除`, onclick: () => { delete tree.nodes[n]; draw(); } }, `ステップ「${n}」を削除`)) : null])))] : []));
    }

    const title = h("input", { name: "title", value: tree.title, maxlength: 100, readonly: !editable, oninput: () => { tree.title = title.value; } });
    const keywords = h("input", { name: "keywords", value: tree.keywords.join("、"), readonly: !editable,
      oninput: () => { tree.keywords = keywords.value.split(/[、,\s]+/).filter(Boolean); } });
    const state = h("p");
    const showState = () => state.replaceChildren(`状態: ${row.published_version === null ? "未公開（下書きのみ）" : row.unpublished_changes ? "公開中・未公開の下書きあり" : "公開中"}`,
      row.published_at ? `（公開: ${when(row.published_at)}）` : "");
    const save = async () => {
      clearErrors(form);
      try {
        row = await api("PUT", `/scenarios/${id}`, { title: tree.title, keywords: tree.keywords, start: tree.start, nodes: tree.nodes });
        showState(); await showList(); listBox.hidden = true;
        toast("下書きを保存しました。テスト用の LINE アカウントで試せます。");
        return true;
      } catch (err) { showError(form, err); return false; }
    };
    editBox.hidden = false; listBox.hidden = true;
    editBox.replaceChildren(h("h2", { id: "sc-edit-h" }, `「${tree.title}」の編集`), state,
      h("div", { class: "toolbar" },
        editable ? h("button", { type: "button", onclick: save }, "下書きを保存") : null,
        publishable ? h("button", { type: "button", onclick: async () => {
          if (editable && !(await save())) return;
          if (!(await confirmAction("下書きを公開します。利用者の LINE に届くようになります。よろしいですか。", "公開する"))) return;
          try { row = await api("POST", `/scenarios/${id}/publish`); showState(); toast("公開しました。"); await showList(); listBox.hidden = true; }
          catch (err) { showError(form, err); }
        } }, "公開する") : null,
        h("button", { type: "button", class: "secondary", onclick: () => { editBox.hidden = true; listBox.hidden = false; } }, "一覧に戻る")),
      h("p", { class: "hint", "data-testid": "scenario-try" }, "テスト用アカウントで試す: 下書きを保存すると、テスト用の LINE アカウント（テストチャネル）に",
        "キーワードを送ったときに下書きが動きます（利用者には公開するまで届きません）。", simulator ? " " : null,
        simulator ? h("a", { href: simulator, target: "_blank", rel: "noopener" }, "テスト用アカウントのシミュレーターで試す（新しいタブ）") : null),
      form);
    form.append(field("名前", title), field("始めるキーワード（、で区切る）", keywords), h("h3", {}, "ステップ（木の形）"), treeBox);
    showState(); draw();
  }

  await showList();
}
