// 個人データ削除 (issue #18; 国富町 §9(4)(キ), 個人情報保護法の削除の求め): find the citizen, see what will be
// erased feature by feature, confirm, and see what was erased. Nothing is erased before the second step.
// API calls: GET /citizens/search?q=; DELETE /citizens/{id} (answers 428 with what would be erased and a
// confirmation token, changing nothing); DELETE /citizens/{id}?confirm=<token> (erases; answers the counts).
// Open with #/erasure?citizen=<id> or #/erasure?q=<LINE user id> to start from one citizen (the 有人チャット
// screen links here).
import { api } from "../api.js";
import { h, field, showError, clearErrors, toast, confirmAction } from "../ui.js";

const ACTIONS = { delete: "削除", anonymise: "匿名化（個人を特定できない形にして残す）" };
const MENU = { done: "LINE 側のリッチメニューの割り当てを解除しました。", none: "LINE 側のリッチメニューの割り当てはありませんでした。",
  failed: "LINE 側のリッチメニューの解除に失敗しました（LINE に接続できませんでした）。個人データの削除は完了しています。友だちが解除されると割り当ても消えます。" };
const day = (iso) => (iso ? iso.slice(0, 10).replaceAll("-", "/") : "");
// "山田 花子（番号 12）", or "番号 12" (LINE display names are often not known)
const who = (c) => (c.display_name ? `${c.display_name}（番号 ${c.id}）` : `番号 ${c.id}`);
const time = (iso) => (iso ? `${iso.slice(11, 16)}` : "");

function rowsTable(id, caption, rows) {
  const total = rows.reduce((n, r) => n + r.rows, 0);
  return h("div", { class: "table-wrap" }, h("table", { id },
    h("caption", {}, `${caption}（合計 ${total}件）`),
    h("thead", {}, h("tr", {}, ["機能", "処理", "件数"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, rows.length
      ? rows.map((r) => h("tr", {}, h("td", {}, r.feature), h("td", {}, ACTIONS[r.action] || r.action), h("td", {}, `${r.rows}件`)))
      : h("tr", {}, h("td", { colspan: 3 }, "この利用者の個人データは見つかりませんでした。")))));
}

export default async function erasurePage(main, ctx) {
  main.replaceChildren(h("h1", {}, ctx.title), h("p", { class: "hint" },
    "本人から個人データの削除を求められたときに使います。トークログ・属性・予約・通報・フォームの回答・有人チャットなど、" +
    "この利用者を特定できるデータをすべての機能から削除します。削除したデータは元に戻せません。"));
  const q = h("input", { type: "search", name: "q", maxlength: 64, required: true, placeholder: "例：山田 花子 / 090-1234-5678 / 12 / U1234…" });
  const search = h("form", { class: "card", role: "search", "aria-label": "利用者を探す", novalidate: true },
    h("h2", {}, "1. 利用者を探す"),
    field("利用者番号・LINE ユーザーID・氏名・電話番号", q,
      "氏名は LINE の表示名と施設予約の予約者情報から、一部だけでも探せます（空白や全角・半角の違いは区別しません）。電話番号は予約者情報から探します。"),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "探す")));
  const found = h("section", { "aria-live": "polite", id: "erasure-found" });
  const step = h("section", { id: "erasure-step" });
  main.append(search, found, step);

  search.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(search);
    step.replaceChildren();
    if (!q.value.trim()) { showError(search, { field: "q", message: "探す手がかり（番号・ユーザーID・表示名）を入力してください。" }); return; }
    try {
      const out = await api("GET", `/citizens/search?q=${encodeURIComponent(q.value.trim())}`);
      showFound(out);
    } catch (err) { showError(search, err); }
  });

  function showFound(out) {
    if (!out.items.length) { found.replaceChildren(h("p", { class: "notice" }, "該当する利用者は見つかりませんでした。")); return; }
    found.replaceChildren(...[
      out.more ? h("p", { class: "notice" }, `${out.items.length}件より多く見つかりました。氏名をもう少し詳しく入力してください。`) : null,
      h("div", { class: "table-wrap" }, h("table", { id: "erasure-candidates" },
        h("caption", {}, `見つかった利用者（${out.items.length}${out.more ? "件以上" : "件"}）`),
        h("thead", {}, h("tr", {}, ["番号", "LINE の表示名", "LINE ユーザーID", "一致した項目", "状態", "登録日", "操作"].map((t) =>
          h("th", { scope: "col" }, t)))),
        h("tbody", {}, out.items.map((c) => h("tr", { "data-id": String(c.id) },
          h("td", {}, String(c.id)), h("td", {}, c.display_name || "（表示名なし）"), h("td", { class: "user-id" }, c.channel_user_id),
          h("td", {}, c.matched),
          h("td", {}, c.is_friend ? "友だち" : "ブロック中"), h("td", {}, day(c.followed_at || c.created_at)),
          h("td", {}, h("button", { type: "button", class: "secondary", "aria-label": `${who(c)} の削除内容を確認する`,
            onclick: () => preview(c) }, "削除内容を確認する")))))))].filter(Boolean));
  }

  // Step 2: what would be erased (the API's first answer: 428 with the rows and a token; nothing changes).
  async function preview(c, note) {
    let ask;
    try {
      await api("DELETE", `/citizens/${c.id}`);
      return;  // never: the first call always asks for confirmation
    } catch (err) {
      if (err.status !== 428 || !err.body) { toast(err.message, "error"); return; }
      ask = err.body;
    }
    const agreed = h("input", { type: "checkbox", name: "agreed", id: "erasure-agreed" });
    const erase = h("button", { type: "submit", class: "danger" }, "削除する");
    const form = h("form", { class: "card", "aria-labelledby": "erasure-what", novalidate: true },
      h("h2", { id: "erasure-what", tabindex: "-1" }, `2. 削除される内容：${who(c)}`),
      note ? h("p", { class: "notice", role: "status" }, note) : null,
      rowsTable("erasure-preview", "まだ削除していません", ask.erased),
      h("p", {}, ask.line_rich_menu_links
        ? "LINE 側でこの利用者に割り当てているリッチメニューも解除します。"
        : "LINE 側でこの利用者に割り当てているリッチメニューはありません。"),
      h("p", { class: "hint" }, `この確認は ${time(ask.expires_at)} まで有効です。過ぎたら、もう一度「削除内容を確認する」を押してください。` +
        "予約は枠を残して氏名・電話番号・ユーザーIDを消し、通報は写真と本文を消して場所と種類だけを残します。"),
      h("label", { class: "check", for: "erasure-agreed" }, agreed, " 本人からの削除の求めであること（本人確認を含む）を確かめました"),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "secondary", onclick: () => step.replaceChildren() }, "やめる"), erase));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      if (!agreed.checked) { showError(form, { field: "agreed", message: "本人からの求めであることを確かめてから、チェックを入れてください。" }); return; }
      if (!(await confirmAction(`${who(c)} の方の個人データを削除します。元に戻せません。よろしいですか？`, "削除する"))) return;
      erase.disabled = true;
      try {
        const done = await api("DELETE", `/citizens/${c.id}?confirm=${encodeURIComponent(ask.confirm)}`);
        showDone(c, done);
      } catch (err) {
        erase.disabled = false;
        if (err.status === 428 && err.body) { await preview(c, err.message); return; }  // the confirmation expired
        showError(form, err);
      }
    });
    step.replaceChildren(form);
    form.querySelector("h2").focus();
  }

  // Step 3: what was erased.
  function showDone(c, done) {
    found.replaceChildren();
    step.replaceChildren(h("section", { class: "card", "aria-labelledby": "erasure-done" },
      h("h2", { id: "erasure-done", tabindex: "-1" }, `3. 削除しました：番号 ${done.citizen_id}`),
      rowsTable("erasure-result", "削除・匿名化した件数", done.erased),
      h("p", { class: done.line_rich_menu === "failed" ? "notice" : null }, MENU[done.line_rich_menu] || done.line_rich_menu),
      h("p", { class: "hint" }, "この操作は操作ログに記録されました（件数のみ。個人データは記録しません）。本人へ削除が済んだことをお伝えください。")));
    step.querySelector("h2").focus();
    toast(`${who(c)} の方の個人データを削除しました。`);
    q.value = "";
  }

  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const start = params.get("citizen") || params.get("q");  // from where a citizen is shown (有人チャット)
  if (start) {
    q.value = start;
    search.requestSubmit();
  }
}
