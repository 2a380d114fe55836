// The console shell: sign-in, navigation by permission, one page module per feature (#/<path>).
import { api, session, settle } from "./api.js";
import { h, field, showError, clearErrors, toast } from "./ui.js";
import dashboard from "./pages/dashboard.js";
import segments from "./pages/segments.js";
import recommendations from "./pages/recommendations.js";
import deliveries from "./pages/deliveries.js";
import richmenus from "./pages/richmenus.js";
import twoFactor from "./pages/two-factor.js";
import attributes from "./pages/attributes.js";
import forms from "./pages/forms.js";
import mail from "./pages/mail.js";
import disaster from "./pages/disaster.js";
import handovers from "./pages/handovers.js";
import maintenance from "./pages/maintenance.js";
import erasure from "./pages/erasure.js";
import faq from "./pages/faq.js";
import garbage from "./pages/garbage.js";
import safety from "./pages/safety.js";
import reports from "./pages/reports.js";
import bookings from "./pages/bookings.js";
import staffPage from "./pages/staff.js";
import logs from "./pages/logs.js";
import monthly from "./pages/monthly.js";
import counter from "./pages/counter.js";

// A page: path, title, the permission to see it, and render(main, ctx). Add a feature here.
const PAGES = [
  { path: "dashboard", title: "ダッシュボード", permission: "stats.read", render: dashboard },
  { path: "segments", title: "セグメント", permission: "segments.read", render: segments },
  { path: "deliveries", title: "配信", permission: "deliveries.read", render: deliveries },
  { path: "richmenus", title: "リッチメニュー", permission: "richmenus.read", render: richmenus },
  { path: "attributes", title: "属性", permission: "segments.read", render: attributes },
  { path: "forms", title: "フォーム", permission: "segments.read", render: forms },
  { path: "recommendations", title: "おすすめ", permission: "segments.read", render: recommendations },
  { path: "mail", title: "メール転送", permission: "deliveries.read", render: mail },
  { path: "disaster", title: "防災モード", permission: "disaster.read", render: disaster },
  { path: "safety", title: "安否確認", permission: "disaster.read", render: safety },
  { path: "handovers", title: "有人チャット", permission: "handovers.answer", render: handovers },
  { path: "maintenance", title: "メンテナンスのお知らせ", permission: "staff.manage", render: maintenance },
  { path: "erasure", title: "個人データ削除", permission: "citizens.erase", render: erasure },
  { path: "faq", title: "FAQ", permission: "faq.read", render: faq },
  { path: "garbage", title: "ごみ分別辞書", permission: "garbage.read", render: garbage },
  { path: "scenarios", title: "シナリオ", permission: "scenarios.read", render: (m, c) => import("./pages/scenarios.js").then((p) => p.default(m, c)) },
  { path: "procedure-trees", title: "手続きナビの編集", permission: "procedures.read", render: (m, c) => import("./pages/procedure-trees.js").then((p) => p.default(m, c)) },
  { path: "nlu", title: "NLU 例文", permission: "nlu.read", render: (m, c) => import("./pages/nlu.js").then((p) => p.default(m, c)) },
  { path: "reports", title: "通報", permission: "reports.read", render: reports },
  { path: "report-templates", title: "通報の回答テンプレート", permission: "reports.read", render: (m, c) => import("./pages/report-templates.js").then((p) => p.default(m, c)) },
  { path: "bookings", title: "施設予約", permission: "bookings.read", render: bookings },
  { path: "facilities", title: "施設の設定", permission: "facilities.read", render: (m, c) => import("./pages/facilities.js").then((p) => p.default(m, c)) },
  { path: "staff", title: "職員・ロール", permission: "staff.manage", render: staffPage },
  { path: "logs", title: "操作ログ・トークログ", permission: ["audit.view", "talklog.view"], render: logs },
  { path: "monthly", title: "月次報告", permission: "stats.read", render: monthly },
  // 書かない窓口: only on the counter role (its own service, bot.counter_role), where it is the only feature
  { path: "counter", title: "書かない窓口", permission: "counter.read", render: counter, counter: true },
  { path: "counter-layouts", title: "様式の定義", permission: "counter.read", counter: true,
    render: (m, c) => import("./pages/counter-layouts.js").then((p) => p.default(m, c)) },
  { path: "counter-report", title: "運用レポート", permission: "counter.read", counter: true,
    render: (m, c) => import("./pages/counter-report.js").then((p) => p.default(m, c)) },
  // everyone's own setting: no permission needed (null)
  { path: "two-factor", title: "2段階認証", permission: null, render: twoFactor },
];

// The menu in groups, as staff think of their work; a page not named here goes under その他.
const GROUPS = ["状況", "窓口業務", "配信・お知らせ", "回答の内容", "防災", "管理", "その他"];
const GROUP_OF = {
  dashboard: "状況", monthly: "状況",
  handovers: "窓口業務", reports: "窓口業務", "report-templates": "窓口業務", bookings: "窓口業務", facilities: "窓口業務",
  counter: "窓口業務", "counter-layouts": "窓口業務", "counter-report": "窓口業務",
  deliveries: "配信・お知らせ", segments: "配信・お知らせ", richmenus: "配信・お知らせ", attributes: "配信・お知らせ",
  forms: "配信・お知らせ", mail: "配信・お知らせ",
  faq: "回答の内容", garbage: "回答の内容", scenarios: "回答の内容", "procedure-trees": "回答の内容", nlu: "回答の内容",
  recommendations: "配信・お知らせ",
  disaster: "防災", safety: "防災",
  staff: "管理", logs: "管理", maintenance: "管理", erasure: "管理", "two-factor": "管理",
};
const groupOf = (page) => GROUP_OF[page.path] || "その他";

const main = document.getElementById("main");
let me = null;
// The counter role (書かない窓口) serves the console with its own API: its pages only (and 2段階認証).
let counterRole = false;
// p: one permission, null (everyone), or a list (any of them)
const can = (p) => !!me && (p === null || [p].flat().some((x) => me.granted.includes(x)));
const offered = (page) => can(page.permission) && (counterRole ? (page.counter || page.permission === null) : !page.counter);

session.onExpired = () => {
  // Several calls can fail at once when a session ends; the sign-in form is shown once, so
  // what staff have started typing into it is not wiped by the next failing call.
  if (!me) return;
  me = null;
  signIn("ログインの有効期限が切れました。もう一度ログインしてください（入力中の内容はこの画面に残っています）。");
};

function signIn(notice) {
  document.getElementById("top").hidden = true;
  document.getElementById("nav").hidden = true;
  document.title = "ログイン | 窓口 管理画面";
  const login = h("input", { name: "login", autocomplete: "username", required: true });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  // The second step (two-factor sign-in): shown when the API answers otp_required.
  const otp = h("input", { name: "otp", autocomplete: "one-time-code", inputmode: "numeric", maxlength: "16" });
  const otpField = field("確認コード", otp, "認証アプリに表示される6桁の数字。スマートフォンが手元にないときは予備コード（例: abcde-fghjk）。");
  otpField.hidden = true;
  const form = h("form", { class: "signin", novalidate: true },
    h("h1", {}, "窓口 管理画面 ログイン"),
    notice ? h("p", { class: "notice", role: "status" }, notice) : null,
    field("ログインID", login), field("パスワード", password), otpField,
    h("button", { type: "submit" }, "ログイン"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    if (!login.value || !password.value) {
      showError(form, { field: login.value ? "password" : "login", message: "ログインIDとパスワードを入力してください。" });
      return;
    }
    const body = { login: login.value, password: password.value };
    if (!otpField.hidden && otp.value.trim()) body.otp = otp.value.trim();
    try {
      const out = await api("POST", "/auth/login", body);
      session.token = out.token; me = out.staff;
      start();
    } catch (err) {
      if (err.code === "otp_required" || err.code === "otp_wrong") {
        otpField.hidden = false;
        otp.value = "";
        showError(form, err);  // beside the code field, which takes the focus
        return;
      }
      showError(form, { message: err.message });
      password.value = ""; password.focus();
    }
  });
  main.replaceChildren(form);
  login.focus();
}

function nav() {
  const list = document.getElementById("nav-list");
  const shown = PAGES.filter(offered);
  list.replaceChildren(...GROUPS.filter((g) => shown.some((p) => groupOf(p) === g)).map((g) =>
    // the group's name is read before its links; not a label, so that a page's own fields keep theirs
    h("li", { class: "nav-group" }, h("span", { class: "nav-group-title" }, g),
      h("ul", {}, shown.filter((p) => groupOf(p) === g).map((p) =>
        h("li", {}, h("a", { href: `#/${p.path}`, "data-path": p.path }, p.title)))))));
  document.getElementById("nav").hidden = false;
  document.getElementById("top").hidden = false;
  document.getElementById("who").textContent = `${me.display_name}（${me.login}）`;
}

async function route() {
  if (!me) return;
  const allowed = PAGES.filter(offered);
  const path = location.hash.replace(/^#\/?/, "").split("?")[0];
  const page = allowed.find((p) => p.path === path) || allowed[0];
  document.querySelectorAll("#nav-list a").forEach((a) => {
    if (a.dataset.path === page?.path) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  });
  if (!page) { main.replaceChildren(h("h1", {}, "表示できる機能がありません"), h("p", {}, "管理者に権限の設定を依頼してください。")); return; }
  document.title = `${page.title} | 窓口 管理画面`;
  // Each visit draws into its own view. A page still waiting for the API when staff move on then
  // finishes into a view no longer on screen, not over the next page (the dashboard's late
  // 防災モード line once landed on the 防災モード page).
  const view = h("div", { class: "view", "data-page": page.path }, h("h1", {}, page.title), h("p", { class: "hint" }, "読み込み中…"));
  main.replaceChildren(view);
  try {
    // reload: after a change to what the staff member may do (two-factor set up), the menus follow.
    await page.render(view, { can, me, title: page.title, reload: async () => { me = await api("GET", "/auth/me"); nav(); } });
  } catch (err) {
    if (err.status !== 401) view.append(h("p", { class: "field-error", role: "alert" }, err.message));
  }
  if (view.isConnected) main.focus({ preventScroll: true });
}

// The town's 防災モード in the header, on every page (issue #22); a link to its page.
async function showMode() {
  const badge = document.getElementById("mode");
  if (!badge || !me) return;
  try {
    const state = await api("GET", "/disaster-mode");
    badge.textContent = `防災モード：${state.mode_label}`;
    badge.className = `mode-badge mode-${state.mode}`;
    badge.hidden = false;
  } catch { badge.hidden = true; }
}

async function start() {
  try {
    const doc = await api("GET", "/openapi.json");
    counterRole = Object.keys(doc.paths || {}).some((p) => p.endsWith("/counter/forms"));
  } catch { counterRole = false; }
  if (!counterRole) showMode();
  // A role that requires two-factor sign-in grants nothing until it is set up: the only page left
  // is 2段階認証, which says why.
  nav();
  if (!location.hash) location.hash = counterRole ? "#/counter" : "#/dashboard"; else route();
}

document.getElementById("signout").addEventListener("click", async () => {
  await settle();  // a save or a count on its way finishes first
  session.closed = true;  // then nothing but the sign-out itself goes out with this session
  try { await api("POST", "/auth/logout"); } catch { /* signed out either way */ }
  session.token = null; me = null;
  toast("ログアウトしました。");
  signIn();
});
window.addEventListener("hashchange", route);

(async () => {
  if (session.token) {
    try { me = await api("GET", "/auth/me"); start(); return; } catch { /* expired: sign in */ }
  }
  signIn();
})();
