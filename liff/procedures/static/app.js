// 手続きナビ: a thin page over the server's navigator. No framework; all text is set with textContent.
"use strict";
(function () {
  const config = JSON.parse(document.getElementById("config").textContent);
  const base = config.base;
  const $ = (id) => document.getElementById(id);
  const state = { token: null, event: null, question: null, idToken: null, household: null, lastTouch: 0 };
  let idleTimer = null;

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) if (c) node.append(c);
    return node;
  }

  function show(name) {
    for (const v of document.querySelectorAll(".view")) v.hidden = v.id !== "view-" + name;
    const main = $("main");
    main.focus();
    window.scrollTo(0, 0);
  }

  async function api(method, path, body) {
    const opts = { method, headers: { "Accept": "application/json" } };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const res = await fetch(base + path, opts);
    const data = res.status === 204 ? {} : await res.json().catch(() => ({}));
    if (res.status === 410) { expire(data.error ? data.error.message : ""); throw new Error("expired"); }
    return { ok: res.ok, status: res.status, data };
  }

  // ---- idle wipe (§8(6) x): the server forgets after the idle time; the page does too ------------
  function resetIdle() {
    clearTimeout(idleTimer);
    if (!state.token && !state.household) return;
    idleTimer = setTimeout(() => expire(""), config.idleSeconds * 1000);
    const now = Date.now();
    if (state.token && now - state.lastTouch > 60000) {
      state.lastTouch = now;
      api("POST", `/api/sessions/${state.token}/touch`).catch(() => {});
    }
  }

  function wipePage() {
    state.token = null; state.event = null; state.question = null; state.household = null;
    $("h-people").replaceChildren(); $("h-addresses").replaceChildren();
    $("qr-codes").replaceChildren(); $("qr-results").replaceChildren(); $("r-list").replaceChildren();
    $("r-summary").replaceChildren();
    clearTimeout(idleTimer);
  }

  function expire(message) {
    if (state.token) api("DELETE", `/api/sessions/${state.token}`).catch(() => {});
    wipePage();
    $("expired-text").textContent = message ||
      "安全のため、一定時間操作がなかった入力内容は消去しました。お手数ですが、最初からやり直してください。";
    show("expired");
  }

  ["click", "keydown", "input", "touchstart"].forEach((t) => document.addEventListener(t, resetIdle, { passive: true }));

  // ---- start ------------------------------------------------------------------------------------
  function renderEvents() {
    const list = $("events");
    list.replaceChildren();
    for (const e of config.events) {
      list.append(el("li", {}, el("button", { type: "button", class: "event-button", "data-event": e.code,
        onclick: () => start(e.code) }, el("strong", { text: e.label }), el("span", { text: e.summary }))));
    }
  }

  async function start(code, answers) {
    const { data } = await api("POST", "/api/sessions", { event: code, id_token: state.idToken, answers });
    state.token = data.token;
    state.event = data.event;
    $("q-event").textContent = data.event.title;
    resetIdle();
    renderStep(data.step);
  }

  // ---- one question at a time ---------------------------------------------------------------------
  function renderStep(step) {
    $("q-progress").setAttribute("aria-valuenow", String(step.progress));
    $("q-progress-fill").style.width = step.progress + "%";
    $("q-progress-text").textContent = String(step.progress);
    if (step.done) { showResult(); return; }
    const q = step.question;
    state.question = q;
    $("q-text").textContent = q.text;
    $("q-required").textContent = q.required ? "必須" : "任意（答えなくても進めます）";
    $("q-help").hidden = !q.help;
    $("q-help").open = false;
    $("q-help-text").textContent = q.help || "";
    $("q-error").textContent = "";
    const options = $("q-options");
    options.replaceChildren();
    $("q-date").hidden = q.kind !== "date";
    $("q-date-input").value = "";
    $("q-date-input").removeAttribute("aria-invalid");
    if (q.kind === "choice") {
      q.options.forEach((o, i) => {
        const id = `opt-${q.id}-${i}`;
        options.append(el("label", { class: "option", for: id },
          el("input", { type: "radio", name: "answer", id, value: o.value, required: q.required }),
          document.createTextNode(o.label)));
      });
    }
    $("q-back").hidden = step.answered === 0;
    show("question");
    const first = q.kind === "date" ? $("q-date-input") : options.querySelector("input");
    if (first) first.focus();
  }

  $("q-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const q = state.question;
    let value = "";
    if (q.kind === "date") value = $("q-date-input").value;
    else { const chosen = $("q-options").querySelector("input:checked"); value = chosen ? chosen.value : ""; }
    if (!value && q.required) {
      $("q-error").textContent = "この質問は回答が必要です。選んでから次へ進んでください。";
      if (q.kind === "date") $("q-date-input").setAttribute("aria-invalid", "true");
      return;
    }
    const { ok, data } = await api("POST", `/api/sessions/${state.token}/answer`, { question_id: q.id, value });
    if (!ok) {
      $("q-error").textContent = data.error ? data.error.message : "エラーが発生しました。";
      if (q.kind === "date") $("q-date-input").setAttribute("aria-invalid", "true");
      return;
    }
    renderStep(data.step);
  });

  $("q-back").addEventListener("click", async () => {
    const { data } = await api("POST", `/api/sessions/${state.token}/back`);
    renderStep(data.step);
  });

  // ---- the result (§8(6) a, s) --------------------------------------------------------------------
  // h2 under the result's h1; h3 under the QR view's "必要な手続き" (h2): headings never skip a level.
  function resultItem(r, heading = "h2") {
    const dl = el("dl", {});
    const row = (k, v) => { if (v) dl.append(el("dt", { text: k }), v instanceof Node ? el("dd", {}, v) : el("dd", { text: v })); };
    row("窓口", r.place);
    if (r.deadline) row("期限", el("span", { class: r.overdue ? "overdue" : null,
      text: r.deadline + (r.overdue ? "　※期限を過ぎています。お早めにお越しください。" : "") }));
    if (r.form) row("届書", r.form + (r.prefilled ? "（事前入力から窓口で作成します。記入は不要です）" : ""));
    if (r.bring && r.bring.length) row("持ち物", el("ul", {}, ...r.bring.map((b) => el("li", { text: b }))));
    if (r.online && r.online.length) row("オンライン", el("ul", {}, ...r.online.map((o) =>
      el("li", {}, o.url ? el("a", { href: o.url, text: o.name, rel: "noopener", target: "_blank" }) : document.createTextNode(o.name),
        o.note ? document.createTextNode("：" + o.note) : null))));
    const notes = [].concat(r.explanation ? [r.explanation] : [], r.counter_note ? [r.counter_note] : [], r.notes || []);
    if (notes.length) row("ご案内", el("ul", {}, ...notes.map((n) => el("li", { text: n }))));
    return el("li", { "data-code": String(r.code) }, el(heading, { text: r.name }), dl);
  }

  async function showResult() {
    const { data } = await api("GET", `/api/sessions/${state.token}/result`);
    state.result = data;
    $("r-title").textContent = `${data.event.title}に必要な手続き`;
    $("r-count").textContent = `必要な手続きは${data.results.length}件です。`;
    $("r-list").replaceChildren(...data.results.map((r) => resultItem(r)));
    $("r-summary").replaceChildren(...data.summary.flatMap((s) => [el("dt", { text: s.question }), el("dd", { text: s.answer })]));
    $("r-household").hidden = !data.household;
    $("r-qr-only").hidden = !!data.household;
    $("r-save").hidden = !state.idToken;  // saved to the my-page only when the citizen asks (LINE)
    $("r-saved").textContent = "";
    show("result");
  }

  $("r-print").addEventListener("click", () => window.print());
  $("r-save").addEventListener("click", async () => {
    const { ok, data } = await api("POST", `/api/sessions/${state.token}/save`, { id_token: state.idToken });
    $("r-saved").textContent = ok ? `マイページの「手続き」に${data.saved}件保存しました（世帯の情報は保存しません）。`
                                  : (data.error && data.error.message) || "保存できませんでした。";
  });
  $("qr-print").addEventListener("click", () => window.print());
  $("r-qr-only").addEventListener("click", () => issueQr());
  $("r-household").addEventListener("click", () => showHousehold());

  // ---- household pre-entry (§8(6) n, o, u, y) -----------------------------------------------------
  function field(id, label, input, hint) {
    const wrap = el("div", { class: "field" }, el("label", { for: id, text: label }), input);
    if (hint) wrap.append(el("p", { class: "note", id: id + "-hint", text: hint }));
    wrap.append(el("p", { class: "field-error", id: id + "-error" }));
    return wrap;
  }

  function addressBox(spec, saved) {
    const p = `a-${spec.role}`;
    const box = el("fieldset", { class: "address", "data-role": spec.role }, el("legend", { text: spec.label }));
    if (spec.abroad) {
      box.append(field(`${p}-country`, "国名", el("input", { type: "text", id: `${p}-country`, name: "country", autocomplete: "country-name" })));
      box.append(field(`${p}-detail`, "住所", el("input", { type: "text", id: `${p}-detail`, name: "detail" })));
    } else {
      const code = el("input", { type: "text", id: `${p}-postal_code`, name: "postal_code", inputmode: "numeric",
        autocomplete: "postal-code", maxlength: "8", "aria-describedby": `${p}-postal_code-hint` });
      const region = el("input", { type: "text", id: `${p}-region`, name: "region", autocomplete: "address-level2" });
      code.addEventListener("input", async () => {
        const digits = code.value.replace(/[^0-9０-９]/g, "");
        if (digits.length !== 7) return;
        const res = await fetch(`${base}/api/postal?code=${encodeURIComponent(digits)}`);
        const data = await res.json();
        const err = $(`${p}-postal_code-error`);
        if (res.ok) { region.value = data.region; err.textContent = ""; }
        else { err.textContent = data.error.message; }
      });
      box.append(field(`${p}-postal_code`, "郵便番号（7桁）", code, "入力すると住所が自動で入ります。"));
      box.append(field(`${p}-region`, "住所（都道府県・市区町村・町名）", region));
      box.append(field(`${p}-detail`, "番地・建物名・部屋番号", el("input", { type: "text", id: `${p}-detail`, name: "detail", autocomplete: "address-line2" })));
    }
    if (saved) for (const [k, v] of Object.entries(saved)) { const i = box.querySelector(`[name=${k}]`); if (i) i.value = v || ""; }
    return box;
  }

  let personSeq = 0;
  function personBox(spec, saved) {
    const n = personSeq++;
    const p = `p${n}`;
    const box = el("fieldset", { class: "person", "data-person": String(n) }, el("legend", {}));
    const name = el("input", { type: "text", id: `${p}-name`, name: "name", autocomplete: "name", "aria-describedby": `${p}-name-hint` });
    const kana = el("input", { type: "text", id: `${p}-kana`, name: "kana" });
    let autoKana = "";
    name.addEventListener("change", async () => {
      if (kana.value && kana.value !== autoKana) return; // the resident's own reading stays
      const res = await fetch(`${base}/api/kana?name=${encodeURIComponent(name.value)}`);
      const data = await res.json();
      autoKana = data.kana || "";
      kana.value = autoKana;
    });
    const sexes = el("div", { class: "inline-options", role: "radiogroup", "aria-labelledby": `${p}-sex-label` },
      ...["男", "女"].map((s) => el("label", {}, el("input", { type: "radio", name: `${p}-sex`, value: s }), document.createTextNode(s))));
    const rel = el("select", { id: `${p}-relationship`, name: "relationship" }, el("option", { value: "", text: "選んでください" }),
      ...spec.relationships.map((r) => el("option", { value: r, text: r })));
    box.append(
      el("div", { class: "grid2" },
        field(`${p}-name`, "氏名（漢字）", name, "氏と名の間に空白を入れてください。"),
        field(`${p}-kana`, "フリガナ", kana, "氏名から自動で入ります。違う場合は直してください。")),
      el("div", { class: "grid2" },
        field(`${p}-birth_date`, "生年月日", el("input", { type: "text", id: `${p}-birth_date`, name: "birth_date", autocomplete: "bday" }),
          "例: 1980年4月12日、昭和55年4月12日"),
        field(`${p}-relationship`, "続柄（世帯主との関係）", rel)),
      el("div", { class: "field" }, el("p", { id: `${p}-sex-label`, class: "label-like", text: "性別" }), sexes,
        el("p", { class: "field-error", id: `${p}-sex-error` })),
      el("div", { class: "buttons" }, el("button", { type: "button", class: "secondary remove-person",
        onclick: () => { box.remove(); numberPeople(); } , text: "この人を削除" })));
    if (saved) {
      name.value = saved.name || ""; kana.value = saved.kana || ""; autoKana = "";
      box.querySelector("[name=birth_date]").value = saved.birth_date || "";
      rel.value = saved.relationship || "";
      const s = box.querySelector(`input[value="${saved.sex}"]`); if (s) s.checked = true;
    }
    return box;
  }

  function numberPeople() {
    const boxes = [...$("h-people").querySelectorAll(".person")];
    boxes.forEach((b, i) => {
      b.querySelector("legend").textContent = i === 0 ? "1人目（世帯主または届出の中心となる方）" : `${i + 1}人目`;
      b.querySelector(".remove-person").hidden = boxes.length === 1;
    });
    const spec = state.result && state.result.household;
    $("h-add").hidden = !spec || boxes.length >= spec.max_people;
  }

  function showHousehold() {
    const spec = state.result.household;
    $("h-title").textContent = `入力する方: ${spec.title}`;
    const saved = state.result.entered || state.household || {};
    $("h-addresses").replaceChildren(...spec.addresses.map((a) => addressBox(a, (saved.addresses || {})[a.role])));
    const people = (saved.people && saved.people.length) ? saved.people : [null];
    $("h-people").replaceChildren(...people.map((p) => personBox(spec, p)));
    if (!$("h-people").children.length) $("h-people").append(personBox(spec, null));
    numberPeople();
    $("h-error").textContent = "";
    show("household");
  }

  $("h-add").addEventListener("click", () => {
    const box = personBox(state.result.household, null);
    $("h-people").append(box);
    numberPeople();
    box.querySelector("input").focus();
  });
  $("h-back").addEventListener("click", () => show("result"));

  function collectHousehold() {
    const addresses = {};
    for (const box of $("h-addresses").querySelectorAll(".address")) {
      const a = {};
      for (const i of box.querySelectorAll("input")) a[i.name] = i.value;
      addresses[box.dataset.role] = a;
    }
    const people = [...$("h-people").querySelectorAll(".person")].map((box) => {
      const checked = box.querySelector("input[type=radio]:checked");
      return { name: box.querySelector("[name=name]").value, kana: box.querySelector("[name=kana]").value,
        birth_date: box.querySelector("[name=birth_date]").value, relationship: box.querySelector("[name=relationship]").value,
        sex: checked ? checked.value : "" };
    });
    return { people, addresses };
  }

  function fieldId(path) {
    // people.1.kana → the second person's kana input; addresses.new.postal_code → a-new-postal_code
    const parts = path.split(".");
    if (parts[0] === "people" && parts.length === 3) {
      const box = $("h-people").querySelectorAll(".person")[Number(parts[1])];
      return box ? `p${box.dataset.person}-${parts[2]}` : null;
    }
    if (parts[0] === "addresses") return parts.length === 3 ? `a-${parts[1]}-${parts[2]}` : `a-${parts[1]}-postal_code`;
    return null;
  }

  $("h-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    for (const e of document.querySelectorAll("#h-form .field-error")) e.textContent = "";
    for (const i of document.querySelectorAll("#h-form [aria-invalid]")) i.removeAttribute("aria-invalid");
    const household = collectHousehold();
    const { ok, data } = await api("PUT", `/api/sessions/${state.token}/household`, { household });
    if (!ok) {
      const problems = (data.error && data.error.problems) || [];
      let first = null;
      for (const p of problems) {
        const id = fieldId(p.field);
        const err = id && $(id + "-error");
        if (err) { err.textContent = p.message; const input = $(id); if (input) { input.setAttribute("aria-invalid", "true"); first = first || input; } }
      }
      $("h-error").textContent = `入力内容を確認してください（${problems.length}件）。` + problems.slice(0, 3).map((p) => p.message).join(" ");
      if (first) first.focus();
      return;
    }
    state.household = data.household;
    await issueQr();
  });

  // ---- the QR code (§8(6) t, u, v, w) ---------------------------------------------------------------
  async function issueQr() {
    const { ok, data } = await api("POST", `/api/sessions/${state.token}/qr`, { id_token: state.idToken });
    if (!ok) { $("h-error").textContent = data.error ? data.error.message : "エラーが発生しました。"; return; }
    state.token = null; // the server has forgotten the entries
    state.household = null;
    const total = data.codes.length;
    $("qr-codes").replaceChildren(...data.codes.map((c, i) => el("figure", {},
      el("img", { src: "data:image/svg+xml;charset=utf-8," + encodeURIComponent(c.svg), "data-text": c.text,
        alt: `窓口用の二次元コード（${i + 1}/${total}）`, width: String(c.modules * 4), height: String(c.modules * 4) }),
      total > 1 ? el("figcaption", { text: `${i + 1}枚目 / ${total}枚` }) : null)));
    $("qr-results").replaceChildren(...state.result.results.map((r) => resultItem(r, "h3")));
    $("qr-line").hidden = !data.notified_line;
    $("h-people").replaceChildren(); $("h-addresses").replaceChildren();
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => expire(""), config.idleSeconds * 1000); // the code itself is not kept open forever
    show("qr");
  }

  $("qr-done").addEventListener("click", () => { wipePage(); show("start"); });
  $("expired-restart").addEventListener("click", () => { wipePage(); show("start"); });

  // ---- LINE (LIFF) ---------------------------------------------------------------------------------
  // Inside LINE the SDK gives the ID token; a LIFF page opened by the local emulator (linesim) gets
  // it as ?id_token=… instead, kept for this tab only and taken out of the address bar.
  async function initLiff() {
    const params = new URLSearchParams(location.search);
    if (params.has("id_token")) {
      sessionStorage.setItem("madoguchi.idToken", params.get("id_token"));
      params.delete("id_token");
      history.replaceState(null, "", location.pathname + (params.toString() ? "?" + params : "") + location.hash);
    }
    state.idToken = sessionStorage.getItem("madoguchi.idToken");
    if (!config.liffId || typeof window.liff === "undefined") return;
    try {
      await window.liff.init({ liffId: config.liffId });
      if (window.liff.isInClient() || window.liff.isLoggedIn()) state.idToken = window.liff.getIDToken();
    } catch (e) { /* the page works as a normal web page */ }
  }

  // ---- carried over from the talk: #event=<code>&q.<question id>=<answer>… ------------------------
  function carriedOver() {
    const params = new URLSearchParams(location.hash.slice(1));
    const code = params.get("event");
    if (!code || !config.events.some((e) => e.code === code)) return null;
    const answers = {};
    for (const [k, v] of params) if (k.startsWith("q.")) answers[k.slice(2)] = v;
    history.replaceState(null, "", location.pathname + location.search); // the answers leave the address bar
    return { code, answers };
  }

  $("idle-minutes").textContent = String(Math.round(config.idleSeconds / 60));
  $("f-hours").textContent = config.hours ? "受付: " + config.hours : "";
  $("f-phone").textContent = config.phone ? "電話: " + config.phone : "";
  renderEvents();
  initLiff().then(() => {
    const carried = carriedOver();
    if (carried) start(carried.code, carried.answers);
  });
})();
