// メンテナンスのお知らせ (issue #18; 国富町 §5(イ), §8(4)(ア)): staff schedule the window and the text
// citizens see in advance on the LIFF pages and the web chat; during it the bot answers their messages
// with the text. One notice at a time: saving replaces it, 取り消す removes it.
// API calls: GET /maintenance (null when none), PUT /maintenance {starts_at, ends_at, message}, DELETE /maintenance.
import { api } from "../api.js";
import { h, field, showError, clearErrors, toast, confirmAction } from "../ui.js";

// "2026-12-20T22:00:00+09:00" (the API answers in Japan time) -> "2026-12-20T22:00" for <input type=datetime-local>
const local = (iso) => (iso ? iso.slice(0, 16) : "");
// -> "12月20日（日）22:00", as citizens' pages show it (with the weekday, for staff)
function when(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso || "");
  if (!m) return iso || "";
  const day = "日月火水木金土"[new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])).getUTCDay()];
  return `${Number(m[2])}月${Number(m[3])}日（${day}）${m[4]}:${m[5]}`;
}

// What a citizen's page shows above its content (liff/common/maintenance.js), for the text being written.
function bannerPreview(startsAt, endsAt, message, active) {
  return h("div", { class: "maintenance-preview", "aria-label": "利用者の画面での表示（見本）", role: "group" },
    h("strong", {}, `${active ? "ただいまメンテナンス中です" : "メンテナンスのお知らせ"}（${when(startsAt) || "開始日時"}〜${when(endsAt) || "終了日時"}）`),
    h("p", {}, message || "（お知らせの文）"));
}

export default async function maintenancePage(main, ctx) {
  const notice = await api("GET", "/maintenance");
  main.replaceChildren(h("h1", {}, ctx.title), h("p", { class: "hint" },
    "システムを止める作業の前に、利用者へ日時と内容をお知らせします。登録すると、すぐに予約・フォーム・手続きナビ・施設マップ・Webチャットの各画面の上部に表示されます。" +
    "期間中は、LINE で届いたメッセージに、この文で自動的にお答えします。"));

  const status = notice
    ? h("section", { class: "card", "aria-labelledby": "mt-now" },
        h("h2", { id: "mt-now" }, notice.active ? "ただいまメンテナンス中です" : "予定しているメンテナンス"),
        h("p", { "data-testid": "maintenance-window" }, `${when(notice.starts_at)} 〜 ${when(notice.ends_at)}`),
        h("p", {}, notice.message),
        h("div", { class: "actions" }, h("button", { type: "button", class: "danger", onclick: cancel }, "お知らせを取り消す")))
    : h("section", { class: "card", "aria-labelledby": "mt-now" },
        h("h2", { id: "mt-now" }, "予定しているメンテナンスはありません"),
        h("p", {}, "利用者の画面には何も表示されていません。"));
  main.append(status);

  // The page drawn again from the API, then the outcome told (a reload would lose the toast).
  async function again(done) {
    await maintenancePage(main, ctx);
    toast(done);
  }

  async function cancel() {
    if (!(await confirmAction("メンテナンスのお知らせを取り消します。利用者の画面から表示が消え、期間中の自動応答も行いません。よろしいですか？", "取り消す"))) return;
    try {
      await api("DELETE", "/maintenance");
      await again("メンテナンスのお知らせを取り消しました。");
    } catch (err) { toast(err.message, "error"); }
  }

  const startsAt = h("input", { type: "datetime-local", name: "starts_at", required: true, value: local(notice?.starts_at) });
  const endsAt = h("input", { type: "datetime-local", name: "ends_at", required: true, value: local(notice?.ends_at) });
  const message = h("textarea", { name: "message", rows: 3, maxlength: 500, required: true,
    placeholder: "例：システムの点検のため、施設予約とフォームをご利用いただけません。ご不便をおかけします。" }, notice?.message || "");
  const preview = h("div");
  const showPreview = () => preview.replaceChildren(
    bannerPreview(startsAt.value, endsAt.value, message.value.trim(), false));
  [startsAt, endsAt, message].forEach((el) => el.addEventListener("input", showPreview));
  showPreview();

  const form = h("form", { class: "card", "aria-labelledby": "mt-edit", novalidate: true },
    h("h2", { id: "mt-edit" }, notice ? "予定を変更する" : "メンテナンスを予定する"),
    field("開始日時（日本時間）", startsAt),
    field("終了日時（日本時間）", endsAt),
    field("利用者へのお知らせ（500字まで）", message, "止まる機能と、利用者にお願いしたいことを、短く丁寧に書いてください。"),
    h("h3", {}, "利用者の画面での表示（見本）"), preview,
    h("div", { class: "actions" }, h("button", { type: "submit" }, notice ? "変更を保存する" : "お知らせを登録する")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    for (const [input, label] of [[startsAt, "開始日時"], [endsAt, "終了日時"]]) {
      if (!input.value) { showError(form, { field: input.name, message: `${label}を入力してください。` }); return; }
    }
    if (!message.value.trim()) { showError(form, { field: "message", message: "お知らせの文を入力してください。" }); return; }
    const body = { starts_at: `${startsAt.value}:00+09:00`, ends_at: `${endsAt.value}:00+09:00`, message: message.value.trim() };
    try {
      const saved = await api("PUT", "/maintenance", body);
      await again(`メンテナンスのお知らせを登録しました（${when(saved.starts_at)}〜${when(saved.ends_at)}）。`);
    } catch (err) { showError(form, err); }
  });
  if (!ctx.can("staff.manage")) form.querySelectorAll("input, textarea, button").forEach((e) => { e.disabled = true; });
  main.append(form);
}
