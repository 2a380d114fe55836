// 答えられなかった質問: open questions grouped by what they ask, with the candidates the bot had and their
// 役に立たなかった counts; from a group, a new FAQ entry or other phrasings of an entry (or set aside), and
// the group leaves the list; or the questions become NLU examples of an intent (nlu.edit; learnt at the next retrain). The fallback rate of the last 7 days beside the 7 days before.
// API calls: GET /faq/unanswered/groups, POST /faq/unanswered/groups/resolve.
import { api } from "../api.js";
import { h, field, showError, clearErrors, toast } from "../ui.js";

const pct = (x) => (x === null ? "—" : `${Math.round(x * 1000) / 10}%`);

export async function unansweredSection(ctx, refresh) {
  const editable = ctx.can("faq.edit");
  const out = await api("GET", "/faq/unanswered/groups");
  const f = out.fallback;
  const section = h("section", { "aria-labelledby": "unanswered-title" },
    h("h2", { id: "unanswered-title" }, `答えられなかった質問（${out.groups.length}グループ）`),
    h("p", { "data-testid": "fallback-rate" }, `答えられなかった割合: 直近${f.days}日 ${pct(f.recent)}（質問${f.recent_questions}件）・その前の${f.days}日 ${pct(f.before)}（質問${f.before_questions}件）`));
  if (!out.groups.length) { section.append(h("p", {}, "未対応の質問はありません。")); return section; }
  out.groups.slice(0, 20).forEach((g, n) => section.append(groupCard(ctx, g, n, editable, refresh)));
  return section;
}

function groupCard(ctx, g, n, editable, refresh) {
  const ids = g.questions.map((q) => q.id);
  const first = g.questions[0].question;
  const title = `グループ${n + 1}: 「${first}」など${g.size}件`;
  const card = h("article", { class: "card", "aria-label": title },
    h("h3", {}, title),
    h("ul", {}, g.questions.slice(0, 8).map((q) => h("li", {}, q.question))),
    g.candidates.length ? h("p", { class: "hint" }, `ボットの候補: ${g.candidates.map((c) =>
      `${c.entry_id} ${c.question}（${c.times}回、役に立たなかった ${c.not_helpful}件）`).join("／")}`) : null);
  if (!editable) return card;
  const nluEditable = ctx.can("nlu.edit");
  const question = h("input", { name: "question", value: first, maxlength: 500 });
  const answer = h("textarea", { name: "answer", rows: 3, maxlength: 5000 });
  const entryId = h("input", { name: "faq_entry_id", value: g.candidates[0]?.entry_id || "", maxlength: 64, class: "short" });
  const intent = h("input", { name: "intent", maxlength: 100, class: "short", placeholder: "例: procedure_nav" });
  const form = h("form", { class: "editor", novalidate: true, "aria-label": `${title}の対応` },
    field("新しい FAQ の質問", question), field("回答", answer, "ほかの質問は「別の聞き方」として一緒に登録します。"),
    h("div", { class: "row-actions" },
      h("button", { type: "button", onclick: () => send("new_entry") }, "FAQ を作って公開する"),
      field("言い換えを足す FAQ の ID", entryId),
      h("button", { type: "button", class: "secondary", onclick: () => send("alternatives") }, "この FAQ の言い換えに足す"),
      h("button", { type: "button", class: "secondary", onclick: () => send("dismiss") }, "対応不要にする")),
    nluEditable ? h("div", { class: "row-actions" }, field("例文を足す意図（NLU）", intent, "質問をこの意図の例文にします。「NLU 例文」画面で再学習すると応答に使われます。"),
      h("button", { type: "button", class: "secondary", onclick: () => send("nlu_examples") }, "意図の例文に足す")) : null);
  async function send(action) {
    clearErrors(form);
    const body = { question_ids: ids, action };
    if (action === "new_entry") {
      if (!question.value.trim() || !answer.value.trim()) {
        showError(form, { field: question.value.trim() ? "answer" : "question", message: "質問と回答を入力してください。" });
        return;
      }
      const alternatives = [...new Set(g.questions.map((q) => q.question).filter((q) => q !== question.value.trim()))];
      body.entry = { question: question.value.trim(), answer: answer.value.trim(), alternatives, status: "published" };
    }
    if (action === "alternatives") body.faq_entry_id = entryId.value.trim();
    if (action === "nlu_examples") {
      if (!intent.value.trim()) { showError(form, { field: "intent", message: "例文を足す意図を入力してください。" }); return; }
      body.intent = intent.value.trim();
    }
    try {
      const r = await api("POST", "/faq/unanswered/groups/resolve", body);
      toast(action === "dismiss" ? `${r.resolved}件を対応不要にしました。`
        : action === "nlu_examples" ? `${r.nlu_examples}件を意図「${body.intent}」の例文に足しました。再学習すると応答に使われます。`
          : `${r.resolved}件を ${r.faq_entry_id} に反映しました。数秒で自動応答に使われます。`);
      await refresh();
    } catch (err) { showError(form, err); }
  }
  card.append(form);
  return card;
}
