// メール転送: rules (sender/subject match, rewrite steps) with a preview on a pasted mail, held mails
// awaiting approval (approve sends to citizens; reject cancels), received mails — 国富町 §9(2)(ア)⑥.
// API calls: page = GET /mail-rules + GET /mails + GET /segments (+ GET /deliveries/{id} per held mail);
// preview = POST /mail-rules/preview; save = POST or PUT /mail-rules; approve = POST /deliveries/{id}/approve;
// reject = POST /deliveries/{id}/cancel.
import { api } from "../api.js";
import { h, field, listView, showError, clearErrors, toast, confirmAction } from "../ui.js";
import { rowActions, editorActions } from "../editor.js";

const DRAFT = "madoguchi.console.mail-rule-draft";
const STATUS = { delivered: "配信した", held: "承認に回した", ignored: "当てはまるルールなし", error: "エラー", duplicate: "重複" };
const STEPS = {
  cut_after: ["署名を削る（この行から後ろを削除）", [["marker", "目印の行（正規表現）", "^-- ?$"]]],
  remove_quotes: ["引用行（> で始まる行）を削る", []],
  replace: ["文字を置き換える", [["pattern", "探す文字（正規表現）", ""], ["replacement", "置き換える文字", ""]]],
  prepend: ["先頭に文字を足す", [["text", "足す文字", "【防災みどり】"]]],
  append: ["末尾に文字を足す", [["text", "足す文字", ""]]],
};
const when = (iso) => new Date(iso).toLocaleString("ja-JP");

export default async function mailPage(main, ctx) {
  const [rules, mails, segments] = await Promise.all([api("GET", "/mail-rules"), api("GET", "/mails"), api("GET", "/segments")]);
  const editable = ctx.can("deliveries.send");
  const approver = ctx.can("deliveries.approve");
  const segmentName = (id) => segments.find((s) => s.id === id)?.name || `セグメント${id}`;

  async function heldCard(m) {
    const d = await api("GET", `/deliveries/${m.delivery_id}`);
    const text = d.messages.map((x) => x.text || "").join("\n\n");
    const audience = d.target === "segment" ? `セグメント「${segmentName(d.segment_id)}」の${d.estimate}人` : `友だち全員（${d.estimate}人）`;
    const card = h("article", { class: "card held", "aria-label": `承認待ち: ${m.subject}` },
      h("h3", {}, m.subject || "（件名なし）"),
      h("p", { class: "hint" }, `${when(m.received_at)} 受信・差出人 ${m.sender}`),
      h("p", {}, `配信先: ${audience}`),
      h("div", { class: "bubble", "aria-label": "配信される本文" }, text));
    const act = async (action) => {
      const yes = action === "approve"
        ? await confirmAction(`このメールの内容を${audience}に LINE で送信します。送信は取り消せません。よろしいですか。`, "承認して送信する")
        : await confirmAction("このメールは LINE で配信しません（却下）。よろしいですか。", "却下する");
      if (!yes) return;
      try {
        const out = await api("POST", `/deliveries/${m.delivery_id}/${action === "approve" ? "approve" : "cancel"}`);
        toast(action === "approve" ? `承認しました（配信の状態: ${out.status_label}）。` : "却下しました。配信はしません。");
        await mailPage(main, ctx);
      } catch (err) {
        toast(err.message, "error");
        card.append(h("p", { class: "field-error", role: "alert" }, err.message));
      }
    };
    card.append(h("div", { class: "row-actions" },
      approver ? h("button", { type: "button", onclick: () => act("approve") }, "承認して送信する") : null,
      editable ? h("button", { type: "button", class: "danger", onclick: () => act("reject") }, "却下する") : null,
      approver || editable ? null : h("p", { class: "hint" }, "承認・却下には配信の権限が必要です。")));
    return card;
  }

  async function showAll() {
    const waiting = mails.filter((m) => m.delivery_status === "approval" && m.delivery_id);
    const ruleColumns = [
      { key: "priority", label: "優先順", sort: true },
      { key: "name", label: "名前", sort: true },
      { key: "sender", label: "当てはまるメール", render: (r) => h("span", {}, `差出人: ${r.sender || "だれでも"}`, h("br"), `件名: ${r.subject || "すべて"}`) },
      { key: "target", label: "配信先", render: (r) => (r.target === "segment" ? `セグメント「${segmentName(r.segment_id)}」` : "友だち全員") },
      { key: "needs_approval", label: "送り方", render: (r) => `${r.needs_approval ? "承認してから送る" : "すぐに送る"}${r.active ? "" : "（無効）"}` },
      { key: "id", label: "操作", render: (r) => h("div", { class: "row-actions" },
        h("button", { type: "button", class: "secondary", "aria-label": `ルール「${r.name}」を${editable ? "編集" : "見る"}`, onclick: () => edit(r) }, editable ? "編集" : "見る"),
        editable ? h("button", { type: "button", class: "danger", "aria-label": `ルール「${r.name}」を削除`, onclick: () => remove(r) }, "削除") : null) },
    ];
    const mailColumns = [
      { key: "received_at", label: "受信日時", sort: true, render: (r) => when(r.received_at) },
      { key: "sender", label: "差出人", sort: true },
      { key: "subject", label: "件名", sort: true },
      { key: "status", label: "処理", render: (r) => STATUS[r.status] || r.status },
      { key: "delivery_status_label", label: "配信の状態", render: (r) => r.delivery_status_label || "—" },
    ];
    main.replaceChildren(...[h("h1", {}, ctx.title),
      h("p", { class: "hint" }, "防災メールなどの受信メールを、ルールに従って書き換え、LINE の友だちに配信します。"),
      h("h2", {}, `承認待ちのメール（${waiting.length}件）`),
      waiting.length ? h("div", { class: "held-list" }, await Promise.all(waiting.map(heldCard))) : h("p", {}, "承認待ちのメールはありません。"),
      h("h2", {}, "転送ルール"),
      editable ? h("p", {}, h("button", { type: "button", onclick: () => edit(null) }, "新しいルールを作る")) : null,
      listView({ rows: rules, columns: ruleColumns, searchKeys: ["name", "sender", "subject"], caption: "転送ルール（優先順の小さいものから判定）" }),
      h("h2", {}, "受信したメール"),
      listView({ rows: mails, columns: mailColumns, searchKeys: ["sender", "subject"], caption: "受信したメール（新しい順、最大200件）" })].filter(Boolean));
  }

  async function remove(r) {
    if (!(await confirmAction(`ルール「${r.name}」を削除します。元に戻せません。よろしいですか。`, "削除する"))) return;
    try {
      await api("DELETE", `/mail-rules/${r.id}`);
      rules.splice(rules.indexOf(r), 1); toast(`「${r.name}」を削除しました。`); await showAll();
    } catch (err) { toast(err.message, "error"); }
  }

  function edit(rule) {
    const draft = rule ? null : JSON.parse(sessionStorage.getItem(DRAFT) || "null");
    const start = rule || draft || { id: null, name: "", priority: 100, sender: "", subject: "", rewrite: [{ type: "cut_after", marker: "^-- ?$" }],
      include_subject: true, target: "all", segment_id: null, needs_approval: true, active: true };
    const name = h("input", { name: "name", value: start.name, maxlength: 80 });
    const priority = h("input", { name: "priority", type: "number", min: 0, max: 100000, value: start.priority, class: "short" });
    const sender = h("input", { name: "sender", value: start.sender, maxlength: 254, autocomplete: "off" });
    const subject = h("input", { name: "subject", value: start.subject, maxlength: 300, autocomplete: "off" });
    const includeSubject = h("input", { type: "checkbox", name: "include_subject", checked: start.include_subject });
    const target = h("select", { name: "target" }, h("option", { value: "all", selected: start.target === "all" }, "友だち全員"),
      h("option", { value: "segment", selected: start.target === "segment" }, "セグメント"));
    const segment = h("select", { name: "segment_id" }, h("option", { value: "" }, "（選んでください）"),
      segments.map((s) => h("option", { value: s.id, selected: start.segment_id === s.id }, s.name)));
    const segmentField = field("配信先のセグメント", segment);
    const approval = h("input", { type: "checkbox", name: "needs_approval", checked: start.needs_approval });
    const active = h("input", { type: "checkbox", name: "active", checked: start.active });
    const steps = h("ol", { class: "step-rows" });
    const kind = h("select", {}, Object.entries(STEPS).map(([v, [l]]) => h("option", { value: v }, l)));

    function stepRow(step) {
      const [label, inputs] = STEPS[step.type];
      const li = h("li", { class: "card step-row" });
      const boxes = inputs.map(([k, l, example]) => h("label", { class: "inline wide" }, l,
        h("input", { "data-k": k, value: step[k] ?? "", placeholder: example, autocomplete: "off" })));
      li.read = () => Object.fromEntries([["type", step.type], ...[...li.querySelectorAll("[data-k]")].map((i) => [i.dataset.k, i.value])]);
      const n = () => `書き換え${[...steps.children].indexOf(li) + 1}「${label}」`;
      li.append(h("strong", {}, label), ...boxes, ...(editable ? [rowActions(steps, li, n, () => refresh())] : []));
      return li;
    }
    start.rewrite.forEach((s) => STEPS[s.type] && steps.append(stepRow(s)));

    const pasted = { sender: h("input", { name: "mail_sender", autocomplete: "off", placeholder: "bousai@town.example.jp" }),
      subject: h("input", { name: "mail_subject", autocomplete: "off" }), body: h("textarea", { name: "mail_body", rows: 8 }) };
    const verdict = h("p", { class: "count", "aria-live": "polite", "data-testid": "mail-preview-verdict" });
    const bubble = h("div", { class: "bubble", "data-testid": "mail-preview-text" });
    const body = () => ({ name: name.value, priority: Number(priority.value || 0), sender: sender.value.trim(), subject: subject.value,
      rewrite: [...steps.children].map((li) => li.read()), include_subject: includeSubject.checked, target: target.value,
      segment_id: segment.value ? Number(segment.value) : null, needs_approval: approval.checked, active: active.checked });
    let timer, seq = 0;
    const refresh = () => {
      segmentField.hidden = target.value !== "segment";
      if (!start.id) sessionStorage.setItem(DRAFT, JSON.stringify(body()));
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const mine = ++seq;
        if (!pasted.subject.value && !pasted.body.value && !pasted.sender.value) {
          verdict.textContent = "メールを貼り付けると、配信される本文をここに表示します。"; bubble.replaceChildren(); return;
        }
        try {
          const p = await api("POST", "/mail-rules/preview", { rule: { ...body(), name: name.value || "（名前は未入力）" }, sender: pasted.sender.value, subject: pasted.subject.value, body: pasted.body.value });
          if (mine !== seq) return;
          clearErrors(form);
          verdict.textContent = p.matches ? "このルールに当てはまります。次の本文で配信されます。" : `このルールには当てはまりません: ${p.reason}（当てはまった場合の本文）`;
          bubble.textContent = p.text;
        } catch (err) {
          if (mine !== seq) return;
          verdict.textContent = "ルールの設定を確認してください。"; bubble.replaceChildren();
          showError(form, err);
        }
      }, 300);
    };

    const form = h("form", { class: "editor", novalidate: true },
      h("h1", {}, start.id ? `転送ルール「${start.name}」` : "新しい転送ルール"),
      editable ? null : h("p", { class: "notice" }, "閲覧のみの権限のため、このルールは変更できません。"),
      h("div", { class: "split" },
        h("div", {},
          field("名前", name),
          field("差出人", sender, "メールアドレス、または @ で始まるドメイン（例: @town.midori.example.jp）。空欄ならだれからでも。"),
          field("件名の条件（正規表現）", subject, "例: 注意報|警報。空欄ならすべての件名。"),
          field("優先順（小さいほど先に判定）", priority),
          h("div", { class: "field" }, h("label", { class: "inline" }, includeSubject, "件名を本文の先頭に【】で付ける")),
          field("配信先", target), segmentField,
          h("div", { class: "field" }, h("label", { class: "inline" }, approval, "職員が承認してから送る")),
          h("div", { class: "field" }, h("label", { class: "inline" }, active, "このルールを使う（有効）")),
          h("fieldset", { class: "card", name: "rewrite" }, h("legend", {}, "本文の書き換え（上から順に行います）"), steps,
            editable ? h("div", { class: "toolbar" }, field("書き換えの種類", kind),
              h("button", { type: "button", class: "secondary", onclick: () => {
                const [, inputs] = STEPS[kind.value];
                steps.append(stepRow(Object.fromEntries([["type", kind.value], ...inputs.map(([k, , ex]) => [k, k === "marker" ? ex : ""])])));
                refresh();
              } }, "書き換えを追加")) : null)),
        h("section", { class: "card preview-pane", "aria-label": "貼り付けたメールで確認" },
          h("h2", {}, "貼り付けたメールで確認"),
          h("p", { class: "hint" }, "受信したメールの差出人・件名・本文を貼り付けると、このルールでどう配信されるかを確かめられます（保存前でも確認できます）。"),
          field("差出人のアドレス", pasted.sender), field("件名", pasted.subject), field("本文", pasted.body),
          verdict, bubble)),
      editorActions(showAll, editable));
    form.addEventListener("input", refresh);
    form.addEventListener("change", refresh);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault(); clearErrors(form);
      try {
        const out = start.id ? await api("PUT", `/mail-rules/${start.id}`, body()) : await api("POST", "/mail-rules", body());
        const at = rules.findIndex((r) => r.id === out.id);
        if (at >= 0) rules.splice(at, 1, out); else rules.push(out);
        rules.sort((a, b) => a.priority - b.priority || a.id - b.id);
        sessionStorage.removeItem(DRAFT);
        toast(`転送ルール「${out.name}」を保存しました。`); await showAll();
      } catch (err) { showError(form, err); }
    });
    if (!editable) form.querySelectorAll("input:not([name^=mail_]), select, textarea:not([name=mail_body])").forEach((e) => { e.disabled = true; });
    main.replaceChildren(form);
    refresh();
    name.focus();
  }
  await showAll();
}
