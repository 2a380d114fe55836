// 安否確認 (issue #22): send a safety check (an urgent delivery with 無事 / 支援が必要 / 避難中 as one-tap
// answers), see the answers by district, follow up those who need help (where they are, what they wrote),
// export the answers as CSV, close the check.
// API calls: list = GET /safety-checks; send = POST /safety-checks {title, question, target, segment_id}
// (segments to choose from = GET /segments);
// one = GET /safety-checks/{id}; those who need help = GET /safety-checks/{id}/answers?status=need_help;
// CSV = GET /safety-checks/{id}/answers.csv; close = POST /safety-checks/{id}/close.
import { api, download } from "../api.js";
import { h, field, showError, clearErrors, toast, confirmAction } from "../ui.js";

const when = (iso) => new Date(iso).toLocaleString("ja-JP");
const STATUSES = ["safe", "need_help", "evacuating"];

function countsRow(counts) {
  const by = Object.fromEntries(counts.map((c) => [c.status, c.count]));
  return STATUSES.map((s) => h("td", { class: "num" }, String(by[s] || 0)));
}

async function showCheck(section, id, ctx) {
  const check = await api("GET", `/safety-checks/${id}`);
  const help = await api("GET", `/safety-checks/${id}/answers?status=need_help&limit=500`);
  const labels = check.counts.map((c) => c.label);
  section.replaceChildren(
    h("h2", {}, `${check.title}（${check.status === "open" ? "受付中" : "終了"}）`),
    h("p", { class: "summary", role: "status" },
      `回答 ${check.answered}人：` + check.counts.map((c) => `${c.label} ${c.count}人`).join("、")),
    h("table", { id: "safety-districts" },
      h("caption", {}, "地区別の集計"),
      h("thead", {}, h("tr", {}, ["地区", ...labels, "計"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, check.districts.map((d) => h("tr", {},
        h("th", { scope: "row" }, d.district), ...countsRow(d.counts), h("td", { class: "num" }, String(d.total)))))),
    h("table", { id: "safety-help" },
      h("caption", {}, `支援が必要な人（${help.total}人、新しい回答から）`),
      h("thead", {}, h("tr", {}, ["回答日時", "表示名", "地区", "場所", "伝えたいこと"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, help.items.map((a) => h("tr", {},
        h("td", {}, when(a.updated_at)), h("td", {}, a.display_name || a.user), h("td", {}, a.district),
        h("td", {}, a.place || "", a.map_url ? [" ", h("a", { href: a.map_url, target: "_blank", rel: "noopener" }, "地図")] : ""),
        h("td", {}, a.note || ""))))),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "secondary", onclick: () => download(`/safety-checks/${id}/answers.csv`, `安否確認-${id}.csv`)
        .then(() => toast("回答をCSVで保存しました。")).catch((e) => toast(e.message, "error")) }, "回答をCSVでダウンロード"),
      ctx.can("disaster.manage") && check.status === "open" ? h("button", { type: "button", class: "danger", onclick: async () => {
        if (!(await confirmAction(`「${check.title}」の受付を終了します。以後の回答は記録されません。よろしいですか？`, "終了する"))) return;
        try { await api("POST", `/safety-checks/${id}/close`); toast("受付を終了しました。"); await showCheck(section, id, ctx); }
        catch (err) { toast(err.message, "error"); }
      } }, "受付を終了する") : ""));
}

export default async function safetyPage(main, ctx) {
  const checks = await api("GET", "/safety-checks");
  const detail = h("section", { id: "safety-detail", "aria-live": "polite" });

  if (ctx.can("disaster.manage")) {
    const title = h("input", { name: "title", id: "safety-title", maxlength: "100", required: true, placeholder: "例：大雨による避難指示（6月9日）" });
    const question = h("textarea", { name: "question", id: "safety-question", maxlength: "1000", rows: "3", required: true },
      "町に避難指示が出ています。いまの状況を教えてください。");
    const segments = ctx.can("segments.read") ? await api("GET", "/segments").catch(() => []) : [];
    const target = h("select", { name: "segment_id", id: "safety-target" },
      h("option", { value: "" }, "友だち全員"), segments.map((g) => h("option", { value: String(g.id) }, `セグメント：${g.name}`)));
    const form = h("form", { class: "card", "aria-label": "安否確認を送る" },
      h("h2", {}, "安否確認を送る"),
      h("p", {}, "緊急配信（ほかのすべての配信より先）で送ります。利用者は「無事／支援が必要／避難中」を1回押すだけで回答できます。"),
      field("タイトル", title), field("問いかけ", question), field("送り先", target),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "danger" }, "送る")));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(form);
      const who = target.value ? target.selectedOptions[0].textContent : "友だち全員";
      if (!(await confirmAction(`安否確認を${who}に緊急配信で送ります。よろしいですか？`, "送る"))) return;
      const body = { title: title.value, question: question.value };
      if (target.value) Object.assign(body, { target: "segment", segment_id: Number(target.value) });
      try {
        await api("POST", "/safety-checks", body);
        toast("安否確認を送りました。");
        location.reload();
      } catch (err) { showError(form, err); }
    });
    main.append(form);
  }

  main.append(h("h2", {}, "安否確認の一覧"), h("table", { id: "safety-checks" },
    h("caption", {}, "新しい順"),
    h("thead", {}, h("tr", {}, ["送信日時", "タイトル", "状態", "回答", "無事", "支援が必要", "避難中", "操作"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, checks.map((c) => h("tr", { "data-id": String(c.id) },
      h("td", {}, when(c.created_at)), h("td", {}, c.title), h("td", {}, c.status === "open" ? "受付中" : "終了"),
      h("td", { class: "num" }, String(c.answered)), ...countsRow(c.counts),
      h("td", {}, h("button", { type: "button", class: "secondary", "aria-label": `${c.title}の集計を見る`,
        onclick: () => showCheck(detail, c.id, ctx).catch((e) => toast(e.message, "error")) }, "集計を見る")))))),
    detail);
  if (checks.length) await showCheck(detail, checks[0].id, ctx);
}
