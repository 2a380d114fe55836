/* フォーム LIFF page (受信設定・アンケート). No framework; text is never parsed as HTML.
 *
 * Identity: the server acts only for the user LINE vouches for. The page gets a LIFF ID token from
 * liff.getIDToken() inside LINE; otherwise (the local emulator, tests) from ?id_token=… in the URL
 * or window.MADOGUCHI_ID_TOKEN (a test hook). The token is kept in sessionStorage, not in the URL.
 */
(function () {
  "use strict";

  var S = { token: null, key: null, form: null, answers: {} };
  var main, statusBox;

  var h = window.MadoguchiPage.h;  // liff/common/page.js
  function say(text) { statusBox.textContent = text || ""; }



  function api(method, path, body) {
    return fetch("api/" + path, {
      method: method,
      headers: { "Authorization": "Bearer " + S.token, "Content-Type": "application/json" },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) { var e = new Error((data.error && data.error.message) || "エラーが発生しました。"); e.data = data.error; throw e; }
        return data;
      });
    });
  }

  // ---- one question -----------------------------------------------------------------------

  function questionBox(q) {
    var value = S.answers[q.attribute];
    var box = h("fieldset", { id: "q-" + q.attribute, "data-attribute": q.attribute },
      h("legend", {}, q.prompt, q.required ? h("span", { class: "required", text: "必須" }) : null));
    if (q.description) box.appendChild(h("p", { class: "help", text: q.description }));
    if (q.kind === "single" && q.choices.length > 8) {
      var select = h("select", { name: q.attribute, "aria-label": q.label },
        h("option", { value: "", text: "選んでください" }));
      q.choices.forEach(function (c) { select.appendChild(h("option", { value: c.value, text: c.label, selected: value === c.value })); });
      box.appendChild(select);
    } else if (q.kind === "single" || q.kind === "multi") {
      var chosen = q.kind === "multi" ? (value || []) : [value];
      q.choices.forEach(function (c) {
        box.appendChild(h("label", { class: "choice" },
          h("input", { type: q.kind === "multi" ? "checkbox" : "radio", name: q.attribute, value: c.value,
                       checked: chosen.indexOf(c.value) >= 0 }), c.label));
      });
    } else if (q.kind === "date") {
      var dates = q.many ? (value || []) : (value ? [value] : []);
      var list = h("div", { class: "dates" });
      var add = function (v) { list.appendChild(h("input", { type: "date", name: q.attribute, value: v || "", "aria-label": q.label })); };
      (dates.length ? dates : [""]).forEach(add);
      box.appendChild(list);
      if (q.many) box.appendChild(h("button", { type: "button", class: "small", text: "＋ もう1件", onclick: function () {
        if (list.children.length < q.max_values) add(""); else say(q.label + "は" + q.max_values + "件までです。");
      } }));
    } else if (q.kind === "number") {
      box.appendChild(h("input", { type: "number", name: q.attribute, value: value === null || value === undefined ? "" : value,
                                   min: q.min, max: q.max, inputmode: "numeric", "aria-label": q.label }));
      if (q.unit) box.appendChild(h("span", { class: "help", text: q.unit }));
    } else {
      box.appendChild(h("input", { type: "text", name: q.attribute, value: value || "", maxlength: "200", "aria-label": q.label }));
    }
    return box;
  }

  function readAnswer(q, box) {
    var inputs = Array.prototype.slice.call(box.querySelectorAll("[name='" + q.attribute + "']"));
    if (q.kind === "multi") return inputs.filter(function (i) { return i.checked; }).map(function (i) { return i.value; });
    if (q.kind === "single") {
      if (inputs.length === 1 && inputs[0].tagName === "SELECT") return inputs[0].value || null;
      var on = inputs.filter(function (i) { return i.checked; })[0];
      return on ? on.value : null;
    }
    var values = inputs.map(function (i) { return i.value.trim(); }).filter(function (v) { return v !== ""; });
    if (q.kind === "date" && q.many) return values;
    return values.length ? values[0] : null;
  }

  // ---- screens ---------------------------------------------------------------------------

  function showForm(data) {
    S.form = data.form; S.answers = data.answers || {};
    main.textContent = "";
    var title = h("h2", { tabindex: "-1", text: S.form.title });
    main.appendChild(title);
    if (S.form.description) main.appendChild(h("p", { class: "lead", text: S.form.description }));
    var form = h("form", { novalidate: true });
    S.form.questions.forEach(function (q) { form.appendChild(questionBox(q)); });
    form.appendChild(h("button", { type: "submit", class: "primary", id: "save", text: "この内容で保存する" }));
    form.addEventListener("submit", function (ev) { ev.preventDefault(); save(form); });
    main.appendChild(form);
    title.focus();
  }

  function save(form) {
    var answers = {};
    Array.prototype.slice.call(form.querySelectorAll(".field-error")).forEach(function (e) { e.remove(); });
    Array.prototype.slice.call(form.querySelectorAll(".has-error")).forEach(function (e) { e.classList.remove("has-error"); });
    S.form.questions.forEach(function (q) { answers[q.attribute] = readAnswer(q, document.getElementById("q-" + q.attribute)); });
    say("保存しています…");
    document.getElementById("save").disabled = true;
    api("POST", "forms/" + encodeURIComponent(S.key), { answers: answers }).then(function (res) {
      say("");
      main.textContent = "";
      var box = h("div", { class: "thanks", id: "thanks", tabindex: "-1" }, h("h2", { text: "保存しました" }), h("p", { text: res.thanks }));
      main.appendChild(box);
      box.focus();
      if (window.liff && window.liff.isInClient && window.liff.isInClient()) {
        main.appendChild(h("button", { type: "button", class: "primary", text: "トークに戻る", onclick: function () { window.liff.closeWindow(); } }));
      }
    }).catch(function (err) {
      document.getElementById("save").disabled = false;
      say(err.message);
      var field = err.data && err.data.field;
      var box = field && document.getElementById("q-" + field);
      if (box) {
        box.classList.add("has-error");
        box.appendChild(h("p", { class: "field-error", text: err.message }));
        box.scrollIntoView({ block: "center" });
      }
    });
  }

  function showList() {
    return api("GET", "forms").then(function (data) {
      main.textContent = "";
      main.appendChild(h("h2", { text: "フォーム" }));
      var list = h("div", { class: "list" });
      data.forms.forEach(function (f) {
        list.appendChild(h("a", { href: "?form=" + encodeURIComponent(f.key), onclick: function (ev) {
          ev.preventDefault(); S.key = f.key; history.pushState(null, "", "?form=" + encodeURIComponent(f.key)); load();
        } }, h("strong", { text: f.title }), f.description ? h("div", { class: "help", text: f.description }) : null));
      });
      main.appendChild(list);
    });
  }

  function load() {
    if (!S.key) return showList();
    return api("GET", "forms/" + encodeURIComponent(S.key)).then(showForm);
  }

  document.addEventListener("DOMContentLoaded", function () {
    main = document.getElementById("main");
    statusBox = document.getElementById("status");
    S.key = new URLSearchParams(window.location.search).get("form");
    window.MadoguchiPage.idToken().then(function (t) {
      if (!t) throw new Error("LINEのトーク画面からフォームを開き直してください。");
      S.token = t;
      return load();
    }).catch(function (err) {
      main.textContent = "";
      main.appendChild(h("p", { class: "lead", id: "problem", text: err.message }));
    });
  });
})();
