/* マイページ. No framework: sections rendered with DOM calls (text is never parsed as HTML).
 *
 * Identity: inside LINE the LIFF ID token (liff.getIDToken(); offline ?id_token=… or
 * window.MADOGUCHI_ID_TOKEN), sent as a Bearer token; on the web the session cookie an e-mail code
 * opened (changes carry the X-Mypage header). Without either, the page asks for the e-mail address.
 */
(function () {
  "use strict";

  var S = { token: null, me: null, address: "" };
  var main, statusBox;

  var h = window.MadoguchiPage.h;  // liff/common/page.js
  function say(text) { statusBox.textContent = text || ""; }
  function when(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    return d.getFullYear() + "年" + (d.getMonth() + 1) + "月" + d.getDate() + "日 " + d.getHours() + ":" + ("0" + d.getMinutes()).slice(-2);
  }
  function dayLabel(iso) {
    var p = iso.split("-"); var d = new Date(+p[0], +p[1] - 1, +p[2]);
    return (d.getMonth() + 1) + "月" + d.getDate() + "日(" + "日月火水木金土"[d.getDay()] + ")";
  }

  // ---- identity and API ------------------------------------------------------------------

  function api(path, method, body) {
    var headers = { "Content-Type": "application/json", "X-Mypage": "1" };
    if (S.token) headers.Authorization = "Bearer " + S.token;
    return fetch("api/" + path, { method: method || "GET", headers: headers, credentials: "same-origin",
                                  body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (!r.ok) { var e = new Error((data.error && data.error.message) || "エラーが発生しました。"); e.status = r.status; e.code = data.error && data.error.code; throw e; }
          return data;
        });
      });
  }

  // ---- web sign-in -------------------------------------------------------------------------

  function signInScreen() {
    document.getElementById("sections-nav").hidden = true;
    main.textContent = "";
    var err = h("p", { class: "error", id: "signin-error", role: "alert" });
    var address = h("input", { type: "email", id: "address", autocomplete: "email", required: true, "aria-describedby": "signin-error" });
    var codeBox = h("div", { hidden: true },
      h("label", { class: "field", for: "code", text: "確認コード（6桁）" }),
      h("input", { type: "text", id: "code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "6" }),
      h("button", { type: "submit", class: "primary", id: "signin", text: "ログイン" }));
    var send = h("button", { type: "button", class: "primary", id: "send-code", text: "確認コードを送る" });
    var form = h("form", { novalidate: true },
      h("label", { class: "field", for: "address", text: "メールアドレス" }), address, send, codeBox, err);
    send.addEventListener("click", function () {
      err.textContent = "";
      api("auth/code", "POST", { address: address.value }).then(function (d) {
        S.address = address.value; codeBox.hidden = false; say(d.message); document.getElementById("code").focus();
      }).catch(function (e) { err.textContent = e.message; });
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      api("auth/verify", "POST", { address: S.address || address.value, code: document.getElementById("code").value })
        .then(function () { say(""); load(); }).catch(function (e) { err.textContent = e.message; });
    });
    main.appendChild(h("section", { "aria-labelledby": "signin-h" },
      h("h2", { id: "signin-h", text: "メールアドレスでログイン" }),
      h("p", { text: "LINEをお使いでない方は、メールアドレスに届く確認コードでログインできます。LINEをお使いの方は、トーク画面のメニューからマイページを開いてください。" }),
      form));
    address.focus();
  }

  // ---- sections ------------------------------------------------------------------------------

  function section(id, title) {
    return h("section", { id: id, "aria-labelledby": id + "-h", tabindex: "-1" }, h("h2", { id: id + "-h", text: title }));
  }
  function empty(text) { return h("p", { class: "empty", text: text }); }

  function noticesSection(data) {
    var sec = section("notices", "お知らせ");
    var badge = document.getElementById("unread-badge");
    badge.textContent = "";
    if (data.unread) badge.appendChild(h("span", { class: "badge", text: String(data.unread), "aria-label": "未読" + data.unread + "件" }));
    sec.appendChild(h("p", { class: "meta", id: "unread-count", text: "未読 " + data.unread + " 件" }));
    if (!data.notices.length) { sec.appendChild(empty("お知らせはまだありません。")); return sec; }
    var list = h("ul", { class: "items", id: "notice-list" });
    appendNotices(list, data.notices);
    sec.appendChild(list);
    if (data.more) sec.appendChild(moreButton(list, data.notices));
    return sec;
  }
  function moreButton(list, shown) {
    var last = shown[shown.length - 1].id;
    var button = h("button", { type: "button", id: "more-notices", text: "もっと見る", onclick: function () {
      api("notices?before=" + last).then(function (d) {
        appendNotices(list, d.notices);
        if (d.notices.length) last = d.notices[d.notices.length - 1].id;
        if (!d.more) button.remove();
        say(d.notices.length + "件を追加で表示しました。");
      }).catch(function (e) { say(e.message); });
    } });
    return button;
  }
  function appendNotices(list, notices) {
    notices.forEach(function (n) {
      var li = h("li", { class: n.read ? "notice" : "notice unread", "data-notice": n.id },
        h("div", { class: "title", text: n.title }), h("div", { class: "meta", text: when(n.at) }),
        h("div", { class: "body", text: n.body }));
      if (!n.read) li.appendChild(h("button", { type: "button", class: "small", text: "既読にする", onclick: function () {
        api("notices/" + n.id + "/read", "POST", {}).then(function () { say("既読にしました。"); load(); }).catch(function (e) { say(e.message); });
      } }));
      list.appendChild(li);
    });
  }

  function bookingItem(b, upcoming) {
    var li = h("li", { "data-number": b.number },
      h("div", { class: "title", text: b.facility_name + " " + b.unit_name }),
      h("div", { text: dayLabel(b.day) + " " + b.time + "（" + b.status_label + "）" }),
      h("div", { class: "meta", text: "予約番号 " + b.number + (b.purpose ? "・" + b.purpose : "") }));
    if (upcoming && b.can_cancel) li.appendChild(h("button", { type: "button", text: "取り消す", "aria-label": "予約番号 " + b.number + " を取り消す", onclick: function () {
      if (!window.confirm("予約番号 " + b.number + " を取り消します。よろしいですか？")) return;
      api("bookings/" + encodeURIComponent(b.number) + "/cancel", "POST", {}).then(function () { say("予約を取り消しました。"); load(); }).catch(function (e) { say(e.message); });
    } }));
    if (upcoming && b.can_change) li.appendChild(changeForm(b));
    return li;
  }
  function hhmm(m) { return ("0" + Math.floor(m / 60)).slice(-2) + ":" + ("0" + (m % 60)).slice(-2); }
  function minutes(t) { var p = (t || "").split(":"); return p.length === 2 ? (+p[0]) * 60 + (+p[1]) : -1; }
  function changeForm(b) {
    var id = "chg-" + b.number;
    var day = h("input", { type: "date", id: id + "-day", value: b.day });
    var start = h("input", { type: "time", id: id + "-start", value: hhmm(b.start_minute), step: "1800" });
    var end = h("input", { type: "time", id: id + "-end", value: hhmm(b.end_minute), step: "1800" });
    var form = h("form", { class: "change", hidden: true },
      h("label", { class: "field", for: id + "-day", text: "新しい日付" }), day,
      h("label", { class: "field", for: id + "-start", text: "開始時刻" }), start,
      h("label", { class: "field", for: id + "-end", text: "終了時刻" }), end,
      h("button", { type: "submit", class: "primary", text: "この日時に変更する" }));
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      api("bookings/" + encodeURIComponent(b.number) + "/change", "POST",
          { day: day.value, start_minute: minutes(start.value), end_minute: minutes(end.value) })
        .then(function () { say("予約を変更しました。"); load(); }).catch(function (e) { say(e.message); });
    });
    var toggle = h("button", { type: "button", "aria-expanded": "false", text: "日時を変更", "aria-label": "予約番号 " + b.number + " の日時を変更", onclick: function () {
      form.hidden = !form.hidden; toggle.setAttribute("aria-expanded", String(!form.hidden)); if (!form.hidden) day.focus();
    } });
    return h("div", {}, toggle, form);
  }
  function bookingsSection(data) {
    var sec = section("bookings", "予約");
    sec.appendChild(h("h3", { text: "これからの予約" }));
    if (data.upcoming.length) { var ul = h("ul", { class: "items", id: "upcoming" }); data.upcoming.forEach(function (b) { ul.appendChild(bookingItem(b, true)); }); sec.appendChild(ul); }
    else sec.appendChild(empty("これからの予約はありません。"));
    sec.appendChild(h("h3", { text: "過去の予約" }));
    if (data.past.length) { var ul2 = h("ul", { class: "items", id: "past" }); data.past.forEach(function (b) { ul2.appendChild(bookingItem(b, false)); }); sec.appendChild(ul2); }
    else sec.appendChild(empty("過去の予約はありません。"));
    return sec;
  }

  function reportsSection(reports) {
    var sec = section("reports", "通報");
    if (!reports.length) { sec.appendChild(empty("通報はまだありません。")); return sec; }
    var list = h("ul", { class: "items" });
    reports.forEach(function (r) {
      var hist = h("ol", { class: "history" });
      r.history.forEach(function (c) {
        hist.appendChild(h("li", {}, h("span", { text: when(c.at) + " " + c.status_label }),
          c.note ? h("div", { class: "body", text: "担当者より：" + c.note }) : null));
      });
      list.appendChild(h("li", { "data-report": r.id },
        h("div", { class: "title", text: (r.receipt_no ? "受付番号 " + r.receipt_no + "・" : "") + r.status_label }),
        h("div", { class: "meta", text: when(r.created_at) + (r.address ? "・" + r.address : "") }),
        h("div", { class: "body", text: r.description }), hist));
    });
    sec.appendChild(list);
    return sec;
  }

  function todosSection(todos) {
    var sec = section("todos", "手続き");
    sec.appendChild(h("p", { class: "meta", text: "手続きナビで「マイページに保存」した手続きです。済んだものにチェックを付けてください。" }));
    if (!todos.length) { sec.appendChild(empty("保存した手続きはありません。")); return sec; }
    var groups = {};
    var order = [];
    todos.forEach(function (t) { if (!groups[t.event_code]) { groups[t.event_code] = []; order.push(t.event_code); } groups[t.event_code].push(t); });
    order.forEach(function (code) {
      var items = groups[code];
      sec.appendChild(h("h3", { text: items[0].event_title }));
      var ul = h("ul", { class: "items" });
      items.forEach(function (t) {
        var box = h("input", { type: "checkbox", id: "todo-" + t.id, checked: t.done });
        box.addEventListener("change", function () {
          api("todos/" + t.id, "POST", { done: box.checked }).then(function () { say(box.checked ? "済みにしました。" : "未了に戻しました。"); load(); })
            .catch(function (e) { box.checked = !box.checked; say(e.message); });
        });
        ul.appendChild(h("li", { class: t.done ? "todo done" : "todo", "data-todo": t.id },
          h("label", { for: "todo-" + t.id }, box, h("span", { class: "name", text: t.name })),
          h("div", { class: "meta", text: (t.place ? "窓口：" + t.place : "") }),
          t.deadline ? h("div", { class: t.overdue ? "overdue" : "meta", text: "期限：" + t.deadline + (t.overdue ? "（期限を過ぎています）" : "") }) : null,
          t.bring.length ? h("div", { class: "meta", text: "持ち物：" + t.bring.join("、") }) : null));
      });
      sec.appendChild(ul);
      sec.appendChild(h("button", { type: "button", text: "この手続きリストを削除", "aria-label": "この手続きリストを削除（" + items[0].event_title + "）", onclick: function () {
        if (!window.confirm("「" + items[0].event_title + "」の手続きリストを削除します。")) return;
        api("todos/events/" + encodeURIComponent(code), "DELETE").then(function () { load(); }).catch(function (e) { say(e.message); });
      } }));
    });
    sec.appendChild(h("button", { type: "button", id: "print-todos", text: "手続きリストを印刷", onclick: function () {
      document.body.classList.add("print-todos"); window.print(); document.body.classList.remove("print-todos");
    } }));
    return sec;
  }

  function recommendationsSection(items) {
    var sec = section("recommendations", "おすすめ");
    sec.appendChild(h("p", { class: "meta", text: "登録情報（お子さまの生年月日など）から、いまご利用いただけそうな町のサービスをご案内します。" }));
    if (!items.length) { sec.appendChild(empty("いまご案内できるおすすめはありません。")); return sec; }
    var list = h("ul", { class: "items" });
    items.forEach(function (r) {
      list.appendChild(h("li", { "data-recommendation": r.id },
        h("h3", { class: "title", text: r.title }),
        r.dates.length ? h("div", { class: "meta", text: r.date_label + "：" + r.dates.map(function (d) { return d.split("-")[0] + "年" + dayLabel(d); }).join("、") }) : null,
        r.body ? h("div", { class: "body", text: r.body }) : null,
        r.link_url ? h("a", { href: r.link_url, rel: "noopener", target: "_blank", text: "詳しくはこちら（" + r.title + "）" }) : null));
    });
    sec.appendChild(list);
    return sec;
  }

  function profileSection(me) {
    var sec = section("profile", "登録情報");
    sec.appendChild(h("h3", { text: "登録している属性" }));
    if (me.registered.length) {
      var dl = h("dl", { class: "kv" });
      me.registered.forEach(function (a) { dl.appendChild(h("dt", { text: a.label })); dl.appendChild(h("dd", { text: a.values.join("、") })); });
      sec.appendChild(dl);
    } else sec.appendChild(empty("登録している属性はありません。"));
    if (me.identity.line) sec.appendChild(h("p", {}, h("a", { href: "../forms/?form=settings", text: "受信設定・属性を変更する（LINE）" })));

    sec.appendChild(h("h3", { text: "お知らせの受け取り方法" }));
    var table = h("table", { class: "channels" }, h("caption", { class: "meta", text: "項目ごとに LINE・メール・両方 から選べます。" }));
    var tbody = h("tbody");
    Object.keys(me.topics).forEach(function (topic) {
      var sel = h("select", { id: "ch-" + topic, "aria-label": me.topics[topic] + " の受け取り方法" },
        h("option", { value: "line", text: "LINE" }), h("option", { value: "email", text: "メール" }), h("option", { value: "both", text: "LINEとメール" }));
      sel.value = me.channels[topic];
      tbody.appendChild(h("tr", {}, h("th", { scope: "row", text: me.topics[topic] }), h("td", {}, sel)));
    });
    table.appendChild(tbody);
    sec.appendChild(table);
    sec.appendChild(h("button", { type: "button", class: "primary", id: "save-channels", text: "受け取り方法を保存", onclick: function () {
      var body = {}; Object.keys(me.topics).forEach(function (t) { body[t] = document.getElementById("ch-" + t).value; });
      api("channels", "PUT", body).then(function () { say("受け取り方法を保存しました。"); }).catch(function (e) { say(e.message); });
    } }));

    sec.appendChild(h("h3", { text: "メールアドレス" }));
    var email = me.identity.email;
    sec.appendChild(h("p", { id: "email-state", text: email ? email.address + (email.verified ? "（確認済み）" : "（未確認）") + (email.subscribed ? "" : "・配信停止中") : "登録していません。" }));
    var addr = h("input", { type: "email", id: "new-address", autocomplete: "email" });
    var code = h("input", { type: "text", id: "email-code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "6" });
    var codeRow = h("div", { hidden: true }, h("label", { class: "field", for: "email-code", text: "メールに届いた確認コード" }), code,
      h("button", { type: "button", class: "primary", id: "verify-email", text: "確認する", onclick: function () {
        api("email/verify", "POST", { address: addr.value, code: code.value }).then(function (d) {
          say(d.linked ? "メールアドレスを確認し、LINEと連携しました。" : "メールアドレスを確認しました。"); load();
        }).catch(function (e) { say(e.message); });
      } }));
    sec.appendChild(h("div", {}, h("label", { class: "field", for: "new-address", text: email ? "新しいメールアドレス" : "メールアドレス" }), addr,
      h("button", { type: "button", id: "send-email-code", text: "確認コードを送る", onclick: function () {
        api("email", "POST", { address: addr.value }).then(function (d) { say(d.message); codeRow.hidden = false; code.focus(); })
          .catch(function (e) { say(e.message); if (e.code === "second_step") secondStep(); });
      } }), codeRow));

    sec.appendChild(h("h3", { text: "ログインと二段階認証" }));
    sec.appendChild(h("p", { id: "signin-state", text: (me.identity.via === "line" ? "LINEでログインしています。" : "メールアドレスでログインしています。") +
      (me.identity.totp ? "認証アプリを設定済みです。" : "認証アプリは未設定です。") }));
    if (email && email.verified) sec.appendChild(h("button", { type: "button", id: "setup-totp", text: "認証アプリを設定する", onclick: setupTotp }));
    if (me.identity.via === "web") sec.appendChild(h("button", { type: "button", id: "logout", text: "ログアウト", onclick: function () {
      api("auth/logout", "POST", {}).then(function () { signInScreen(); });
    } }));
    return sec;
  }

  function setupTotp() {
    api("totp/setup", "POST", {}).then(function (d) {
      var box = document.getElementById("totp-box") || h("div", { id: "totp-box" });
      box.textContent = "";
      var input = h("input", { type: "text", id: "totp-code", inputmode: "numeric", maxlength: "6", autocomplete: "one-time-code" });
      box.appendChild(h("p", { text: "認証アプリに次のキーを登録し、表示された6桁のコードを入力してください。" }));
      box.appendChild(h("p", {}, h("code", { id: "totp-secret", text: d.secret })));
      box.appendChild(h("label", { class: "field", for: "totp-code", text: "認証アプリのコード" }));
      box.appendChild(input);
      box.appendChild(h("button", { type: "button", class: "primary", text: "設定を完了", onclick: function () {
        api("totp/confirm", "POST", { secret: d.secret, code: input.value }).then(function () { say("認証アプリを設定しました。"); load(); })
          .catch(function (e) { say(e.message); });
      } }));
      document.getElementById("profile").appendChild(box);
      input.focus();
    }).catch(function (e) { say(e.message); if (e.code === "second_step") secondStep(); });
  }

  function secondStep() {
    var sec = document.getElementById("second-step");
    if (sec) { sec.focus(); return; }
    var me = S.me;
    var input = h("input", { type: "text", id: "second-code", inputmode: "numeric", maxlength: "6", autocomplete: "one-time-code" });
    var method = me.identity.totp ? "totp" : "line";
    sec = h("section", { id: "second-step", "aria-labelledby": "second-step-h", tabindex: "-1" },
      h("h2", { id: "second-step-h", text: "二段階認証" }),
      h("p", { text: me.identity.totp ? "認証アプリに表示されている6桁のコードを入力してください。" : "LINEに届く6桁のコードを入力してください。" }),
      me.identity.totp ? null : h("button", { type: "button", id: "send-line-code", text: "LINEにコードを送る", onclick: function () {
        api("second-step/line", "POST", {}).then(function () { say("LINEにコードを送りました。"); }).catch(function (e) { say(e.message); });
      } }),
      h("label", { class: "field", for: "second-code", text: "確認コード" }), input,
      h("button", { type: "button", class: "primary", id: "second-step-ok", text: "確認する", onclick: function () {
        api("second-step", "POST", { method: method, code: input.value }).then(function () { say("本人確認ができました。もう一度操作してください。"); sec.remove(); })
          .catch(function (e) { say(e.message); });
      } }));
    main.insertBefore(sec, main.firstChild);
    sec.focus();
  }

  function leaveSection() {
    var sec = section("leave", "退会");
    var box = h("input", { type: "checkbox", id: "erase-confirm" });
    sec.appendChild(h("p", { text: "退会すると、属性・予約・通報・手続きリスト・メールアドレスなど、あなたを特定できる情報をすべて削除します。元に戻せません。" }));
    sec.appendChild(h("div", {}, box, h("label", { for: "erase-confirm", text: " 内容を確認し、登録情報の削除に同意します" })));
    sec.appendChild(h("button", { type: "button", class: "danger", id: "erase", text: "退会して情報を削除する", onclick: function () {
      api("erase", "POST", { confirm: box.checked }).then(function (d) {
        document.getElementById("sections-nav").hidden = true;
        main.textContent = ""; main.appendChild(h("section", {}, h("h2", { text: "退会しました" }), h("p", { id: "erased", text: d.message })));
        sessionStorage.removeItem("madoguchi.idToken");
      }).catch(function (e) { say(e.message); if (e.code === "second_step") secondStep(); });
    } }));
    return sec;
  }

  function render(me) {
    S.me = me;
    document.getElementById("sections-nav").hidden = false;
    main.textContent = "";
    main.appendChild(noticesSection(me.notices));
    main.appendChild(bookingsSection(me.bookings));
    main.appendChild(reportsSection(me.reports));
    main.appendChild(todosSection(me.todos));
    main.appendChild(recommendationsSection(me.recommendations || []));
    main.appendChild(profileSection(me));
    main.appendChild(leaveSection());
    document.body.setAttribute("data-ready", "1");
  }

  function load() {
    return api("me").then(render).catch(function (e) {
      if (e.status === 401 && !S.token) signInScreen();
      else { main.textContent = ""; main.appendChild(h("p", { class: "error", role: "alert", text: e.message })); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    main = document.getElementById("main");
    statusBox = document.getElementById("status");
    window.MadoguchiPage.idToken({ webSignIn: true }).then(function (t) { S.token = t; return load(); }).catch(function () { signInScreen(); });
  });
})();
