// フォーム: build forms from attributes (order with 上へ/下へ), preview as citizens see it, answers with
// per-question tallies and CSV — 国富町 §9(2)(ア)①②④, §9(3)(オ)⑦ (satisfaction survey).
// API calls: list = GET /forms + GET /attributes + GET /segments; save = POST /forms or PATCH /forms/{id};
// answers = GET /forms/{id}/tallies + GET /forms/{id}/answers (a page at a time); CSV = GET /forms/{id}/answers.csv.
import { api, download } from "../api.js";
import { h, field, listView, showError, clearErrors, toast, confirmAction } from "../ui.js";
import { chart } from "../chart.js";
import { rowActions, editorActions } from "../editor.js";

const DRAFT = "madoguchi.console.form-draft";
const PAGE = 20;

// The form as the citizen sees it on the LIFF forms page (same parts: a green bar, one box per question).
function preview(title, description, questions) {
  const box = (q, i) => {
    const legend = h("legend", {}, q.prompt || q.label, q.required ? h("span", { class: "required" }, "必須") : null);
    const name = `preview-${i}`;
    let input;
    if (q.kind === "single" || q.kind === "multi") {
      input = q.choices.map((c) => h("label", { class: "choice" },
        h("input", { type: q.kind === "multi" ? "checkbox" : "radio", name, value: c.value, tabindex: -1 }), c.label));
    } else if (q.kind === "date") {
      input = h("input", { type: "date", "aria-label": q.label, tabindex: -1 });
    } else if (q.kind === "number") {
      input = h("span", { class: "number" }, h("input", { type: "number", "aria-label": q.label, tabindex: -1 }), q.unit || "");
    } else {
      input = h("input", { type: "text", "aria-label": q.label, tabindex: -1 });
    }
    return h("fieldset", {}, legend, q.description ? h("p", { class: "help" }, q.description) : null, input);
  };
  return h("div", { class: "phone", inert: true },
    h("div", { class: "bar" }, h("span", {}, title || "（タイトル）")),
    h("div", { class: "phone-body" },
      description ? h("p", { class: "lead" }, description) : null,
      questions.length ? questions.map(box) : h("p", { class: "lead" }, "質問がまだありません。"),
      h("span", { class: "primary" }, "送信する")));
}

export default async function formsPage(main, ctx) {
  const [rows, attributes, segments] = await Promise.all([api("GET", "/forms"), api("GET", "/attributes"), api("GET", "/segments")]);
  const editable = ctx.can("segments.edit");
  const byKey = Object.fromEntries(attributes.map((a) => [a.key, a]));

  const showList = () => {
    const columns = [
      { key: "title", label: "タイトル", sort: true },
      { key: "items", label: "質問数", render: (r) => `${r.items.length}問` },
      { key: "on_follow", label: "友だち追加時", render: (r) => (r.on_follow ? "案内する" : "—") },
      { key: "active", label: "受付", sort: true, render: (r) => (r.active ? "受付中" : "停止中") },
      { key: "responses", label: "回答した人数", sort: true, render: (r) => `${r.responses}人` },
      { key: "id", label: "操作", render: (r) => h("div", { class: "row-actions" },
        h("button", { type: "button", class: "secondary", "aria-label": `「${r.title}」の回答を見る`, onclick: () => answers(r) }, "回答を見る"),
        h("button", { type: "button", class: "secondary", "aria-label": `「${r.title}」を${editable ? "編集" : "見る"}`, onclick: () => edit(r) }, editable ? "編集" : "見る"),
        editable ? h("button", { type: "button", class: "danger", "aria-label": `「${r.title}」を削除`, onclick: () => remove(r) }, "削除") : null) },
    ];
    main.replaceChildren(...[h("h1", {}, ctx.title),
      h("p", { class: "hint" }, "フォームは属性を組み合わせた質問票です（初回アンケート、受信設定、満足度調査など）。回答は友だちの属性として保存されます。"),
      editable ? h("p", {}, h("button", { type: "button", onclick: () => edit(null) }, "新しいフォームを作る")) : null,
      listView({ rows, columns, searchKeys: ["title", "key"], caption: "フォームの一覧" })].filter(Boolean));
  };

  async function remove(r) {
    if (!(await confirmAction(`フォーム「${r.title}」を削除します。回答済みの内容（友だちの属性）は残ります。よろしいですか。`, "削除する"))) return;
    try {
      await api("DELETE", `/forms/${r.id}`);
      rows.splice(rows.indexOf(r), 1); toast(`「${r.title}」を削除しました。`); showList();
    } catch (err) {
      toast(err.message, "error");
      main.prepend(h("p", { class: "field-error", role: "alert" }, err.message));
    }
  }

  function edit(formRow) {
    const draft = formRow ? null : JSON.parse(sessionStorage.getItem(DRAFT) || "null");
    const start = formRow || draft || { id: null, key: "", title: "", description: "", items: [], on_follow: false,
      segment_id: null, thanks: "", active: true };
    const isNew = !start.id;
    const key = h("input", { name: "key", value: start.key, maxlength: 40, readonly: !isNew, autocomplete: "off" });
    const title = h("input", { name: "title", value: start.title, maxlength: 80 });
    const description = h("textarea", { name: "description", rows: 2, maxlength: 1000 }, start.description || "");
    const thanks = h("textarea", { name: "thanks", rows: 2, maxlength: 500 }, start.thanks || "");
    const onFollow = h("input", { type: "checkbox", name: "on_follow", checked: !!start.on_follow });
    const active = h("input", { type: "checkbox", name: "active", checked: start.active !== false });
    const segment = h("select", { name: "segment_id" }, h("option", { value: "" }, "友だち全員"),
      segments.map((s) => h("option", { value: s.id, selected: start.segment_id === s.id }, s.name)));
    const list = h("ol", { class: "question-rows" });
    const adder = h("select", {});
    const shown = h("div", { class: "preview-pane", "aria-live": "off" });

    function questionRow(item) {
      const a = byKey[item.attribute];
      const li = h("li", { class: "question-row card" });
      li.item = () => ({ attribute: item.attribute, required: required.checked, prompt: prompt.value.trim() });
      const label = a ? `${a.label}（${a.kind_label}）` : item.attribute;
      const name = () => `質問「${a ? a.label : item.attribute}」`;
      const required = h("input", { type: "checkbox", checked: !!item.required });
      const prompt = h("input", { value: item.prompt || "", maxlength: 200, placeholder: a ? a.label : "", "aria-label": `聞き方（任意）: ${name()}` });
      li.append(h("div", { class: "question-head" }, h("strong", {}, label),
        h("label", { class: "inline" }, required, "必須")),
        h("label", { class: "inline wide" }, "聞き方（任意）", prompt),
        ...(editable ? [rowActions(list, li, name, () => refresh(), "外す")] : []));
      return li;
    }
    const items = () => [...list.children].map((li) => li.item());
    const fillAdder = () => {
      const used = new Set(items().map((i) => i.attribute)), was = adder.value;
      adder.replaceChildren(...attributes.filter((a) => a.active && !used.has(a.key)).map((a) => h("option", { value: a.key, selected: a.key === was }, `${a.label}（${a.kind_label}）`)));
    };
    const body = () => ({ title: title.value, description: description.value, items: items(), on_follow: onFollow.checked,
      segment_id: segment.value ? Number(segment.value) : null, thanks: thanks.value, ...(isNew ? { key: key.value.trim() } : { active: active.checked }) });
    const refresh = () => {
      fillAdder();
      if (isNew) sessionStorage.setItem(DRAFT, JSON.stringify({ ...body(), id: null, key: key.value }));
      const questions = items().filter((i) => byKey[i.attribute]).map((i) => ({ ...byKey[i.attribute], required: i.required, prompt: i.prompt }));
      shown.replaceChildren(h("h2", {}, "友だちに見える画面（プレビュー）"), preview(title.value, description.value, questions));
    };
    start.items.forEach((i) => list.append(questionRow(i)));

    const form = h("form", { class: "editor form-editor", novalidate: true },
      h("h1", {}, isNew ? "新しいフォーム" : `フォーム「${start.title}」`),
      editable ? null : h("p", { class: "notice" }, "閲覧のみの権限のため、このフォームは変更できません。"),
      h("div", { class: "split" },
        h("div", {},
          field("タイトル", title), field("キー（英小文字・数字・_）", key, isNew ? "例: satisfaction_2026。LINEのリンクで使い、あとから変えられません。" : "キーは変えられません。"),
          field("説明（任意）", description), field("回答後のお礼の言葉（任意）", thanks),
          field("回答できる人", segment),
          h("div", { class: "field" }, h("label", { class: "inline" }, onFollow, "友だち追加のときに案内する（初回アンケート）")),
          isNew ? null : h("div", { class: "field" }, h("label", { class: "inline" }, active, "受付中")),
          h("h2", {}, "質問（上から順に表示）"), list,
          editable ? h("div", { class: "toolbar" }, field("追加する属性", adder),
            h("button", { type: "button", class: "secondary", onclick: () => {
              if (!adder.value) return;
              list.append(questionRow({ attribute: adder.value, required: false, prompt: "" })); refresh();
              adder.focus();
            } }, "質問を追加")) : null),
        shown),
      editorActions(showList, editable));
    form.addEventListener("input", refresh);
    form.addEventListener("change", refresh);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault(); clearErrors(form);
      try {
        const out = isNew ? await api("POST", "/forms", body()) : await api("PATCH", `/forms/${start.id}`, body());
        const at = rows.findIndex((r) => r.id === out.id);
        if (at >= 0) rows.splice(at, 1, out); else rows.push(out);
        sessionStorage.removeItem(DRAFT);
        toast(`フォーム「${out.title}」を保存しました。`); showList();
      } catch (err) {
        const m = err.field && /^items\.(\d+)/.exec(err.field);
        if (m) { err.field = null; list.children[Number(m[1])]?.querySelector("input")?.focus(); }
        if (err.field === "items") err.field = null;
        showError(form, err);
      }
    });
    if (!editable) form.querySelectorAll("input, select, textarea").forEach((e) => { e.disabled = true; });
    main.replaceChildren(form);
    refresh();
    title.focus();
  }

  async function answers(formRow) {
    const [tallies, first] = await Promise.all([api("GET", `/forms/${formRow.id}/tallies`), api("GET", `/forms/${formRow.id}/answers?limit=${PAGE}`)]);
    formRow.responses = tallies.responses;  // the list shows the figure just read, not the one loaded with it
    const table = h("div", { class: "table-wrap" });
    const pager = h("div", { class: "pager" });
    const showPage = (page) => {
      table.replaceChildren(h("table", {}, h("caption", {}, `回答した人（${page.total}人、最後の回答が新しい順）`),
        h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "最後の回答"), h("th", { scope: "col" }, "利用者"),
          h("th", { scope: "col" }, "経路"), page.questions.map((q) => h("th", { scope: "col" }, q.label)))),
        h("tbody", {}, page.items.length ? page.items.map((r) => h("tr", {},
          h("td", {}, new Date(r.submitted_at).toLocaleString("ja-JP")), h("td", {}, r.display_name ? `${r.display_name}（${r.user}）` : r.user),
          h("td", {}, r.times > 1 ? `${r.via_label}（${r.times}回）` : r.via_label), r.answers.map((c) => h("td", {}, c.text || "—"))))
          : h("tr", {}, h("td", { colspan: page.questions.length + 3 }, "まだ回答はありません。")))));
      const pages = Math.max(1, Math.ceil(page.total / PAGE)), at = Math.floor(page.offset / PAGE);
      const go = async (n) => showPage(await api("GET", `/forms/${formRow.id}/answers?limit=${PAGE}&offset=${n * PAGE}`));
      pager.replaceChildren(
        h("button", { type: "button", class: "secondary", disabled: at === 0, onclick: () => go(at - 1) }, "前へ"),
        h("span", {}, `${at + 1} / ${pages} ページ`),
        h("button", { type: "button", class: "secondary", disabled: at >= pages - 1, onclick: () => go(at + 1) }, "次へ"));
    };
    showPage(first);
    const perQuestion = tallies.questions.map((q) => {
      const head = `${q.label}（回答 ${q.answered}人${q.mean !== null ? `、平均 ${q.mean}` : ""}）`;
      if (!q.counts.length) {
        return h("section", { class: "card" }, h("h2", {}, head),
          h("p", { class: "hint" }, q.kind === "date" || q.kind === "text" ? "日付・自由記入は個人情報のため、人数だけを示します。" : "まだ回答はありません。"));
      }
      return chart({ title: head, labels: q.counts.map((c) => c.label), bars: true, axis: "回答", tick: (d) => (d.length > 8 ? `${d.slice(0, 7)}…` : d),
        series: [{ label: "人数", values: q.counts.map((c) => c.count) }] });
    });
    main.replaceChildren(h("h1", {}, `「${formRow.title}」の回答`),
      h("p", { class: "count" }, `回答した人: ${tallies.responses}人`),
      h("p", { class: "hint" }, "回答は友だちの属性として保存されるため、各人がいま登録している内容で集計しています。"),
      h("div", { class: "toolbar" },
        h("button", { type: "button", class: "secondary", onclick: showList }, "一覧に戻る"),
        h("button", { type: "button", onclick: async () => {
          try { await download(`/forms/${formRow.id}/answers.csv`, `${formRow.key}-answers.csv`); toast("回答をCSVで保存しました。"); }
          catch (err) { toast(err.message, "error"); }
        } }, "回答をCSVで保存")),
      h("h2", {}, "質問ごとの集計"), h("div", { class: "grid" }, perQuestion),
      h("h2", {}, "回答の一覧"), table, pager);
  }
  showList();
}
