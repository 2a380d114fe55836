// 2段階認証: each staff member sets up (or turns off) sign-in with an authenticator app, and gets
// recovery codes. Roles can require it (酒田市 第5章 1(5)); then nothing else is possible until it is set up.
import { api } from "../api.js";
import { h, field, showError, clearErrors, toast, confirmAction } from "../ui.js";

export default async function twoFactor(main, ctx) {
  const status = await api("GET", "/auth/two-factor");
  const parts = [h("h1", {}, ctx.title)];
  if (status.must_enrol) {
    parts.push(h("p", { class: "notice", role: "status" },
      "管理者の設定により、このアカウントは2段階認証が必要です。設定が終わるまで、ほかの機能は使えません。"));
  }
  parts.push(h("p", {}, "ログインのときに、パスワードに加えてスマートフォンの認証アプリ（Google Authenticator、Microsoft Authenticator など）"
    + "に表示される6桁の数字を入力します。パスワードが漏れても、他人はログインできません。"));
  if (status.enabled) parts.push(...enabledView(status, main, ctx));
  else parts.push(setupView(main, ctx));
  main.replaceChildren(...parts);
}

function codeInput() {
  return h("input", { name: "code", autocomplete: "one-time-code", inputmode: "numeric", maxlength: "16", required: true });
}

function showCodes(codes) {
  return h("section", { class: "recovery", "aria-labelledby": "recovery-title" },
    h("h2", { id: "recovery-title" }, "予備コード"),
    h("p", {}, "スマートフォンをなくしたときは、確認コードの代わりにこの予備コードを1つ入力してログインできます。"
      + "それぞれ1回だけ使えます。この画面を閉じると二度と表示されないので、印刷するか書き留めて、安全な場所に保管してください。"),
    h("ul", { class: "codes", "data-testid": "recovery-codes" }, codes.map((c) => h("li", {}, h("code", {}, c)))),
    h("button", { type: "button", onclick: () => window.print() }, "印刷する"));
}

function setupView(main, ctx) {
  const start = h("button", { type: "button" }, "2段階認証を設定する");
  const area = h("div", {}, start);
  start.addEventListener("click", async () => {
    const setup = await api("POST", "/auth/two-factor/setup");
    const qr = h("img", { src: `data:image/svg+xml;base64,${btoa(setup.qr_svg)}`, alt: "認証アプリで読み取る QR コード",
      width: "220", height: "220", class: "qr" });
    const code = codeInput();
    const form = h("form", { novalidate: true },
      h("ol", {},
        h("li", {}, "スマートフォンの認証アプリで、この QR コードを読み取ってください。", h("div", {}, qr),
          h("p", { class: "hint" }, "読み取れないときは、アプリに次の鍵を手で入力します: ", h("code", { "data-testid": "secret" }, setup.secret))),
        h("li", {}, "アプリに表示された6桁の数字を入力して「有効にする」を押してください。", field("確認コード", code))),
      h("button", { type: "submit" }, "有効にする"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault(); clearErrors(form);
      if (!code.value.trim()) { showError(form, { field: "code", message: "確認コードを入力してください。" }); return; }
      try {
        const out = await api("POST", "/auth/two-factor/enable", { code: code.value.trim() });
        toast("2段階認証を有効にしました。");
        await ctx.reload();  // a role that required it now grants its features: the menu shows them
        area.replaceChildren(h("p", { role: "status" }, "2段階認証を有効にしました。次回のログインから確認コードが必要です。"),
          showCodes(out.recovery_codes));
      } catch (err) { showError(form, err); }
    });
    area.replaceChildren(form);
    code.focus();
  });
  return area;
}

function enabledView(status, main, ctx) {
  const left = h("p", {}, `2段階認証を使っています。未使用の予備コード: ${status.recovery_codes_left}個`);
  const code = codeInput();
  const form = h("form", { novalidate: true },
    h("h2", {}, "予備コードの作り直し・解除"),
    field("確認コード", code, "認証アプリの6桁の数字（解除のときは予備コードも使えます）"),
    h("div", { class: "actions" },
      h("button", { type: "submit", name: "renew" }, "予備コードを作り直す"),
      status.required ? null : h("button", { type: "button", class: "danger", onclick: disable }, "2段階認証を解除する")));
  const out = h("div");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault(); clearErrors(form);
    try {
      const r = await api("POST", "/auth/two-factor/recovery-codes", { code: code.value.trim() });
      toast("予備コードを作り直しました。前の予備コードは使えません。");
      out.replaceChildren(showCodes(r.recovery_codes));
      code.value = "";
    } catch (err) { showError(form, err); }
  });
  async function disable() {
    clearErrors(form);
    if (!code.value.trim()) { showError(form, { field: "code", message: "確認コードを入力してください。" }); return; }
    if (!(await confirmAction("2段階認証を解除します。ログインはパスワードだけになります。", "解除する"))) return;
    try {
      await api("POST", "/auth/two-factor/disable", { code: code.value.trim() });
      toast("2段階認証を解除しました。");
      await twoFactor(main, ctx);
    } catch (err) { showError(form, err); }
  }
  const notes = status.required ? [h("p", { class: "hint" }, "このアカウントのロールでは2段階認証が必須のため、解除できません。")] : [];
  return [left, form, ...notes, out];
}
