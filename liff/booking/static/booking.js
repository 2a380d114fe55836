/* 施設予約 LIFF page. No framework: small screens rendered with DOM calls (text is never parsed as HTML).
 *
 * Identity: the server acts only for the user LINE vouches for. The page gets a LIFF ID token from
 * liff.getIDToken() when the LIFF SDK is loaded (inside LINE); otherwise — the local emulator, an
 * offline demo, tests — from ?id_token=… in the URL or window.MADOGUCHI_ID_TOKEN (a test hook).
 */
(function () {
  "use strict";

  var WD = "日月火水木金土";
  var STATE_LABEL = { available: "空きあり", few: "残りわずか", full: "満", closed: "休館", past: "" };
  var SLOT_LABEL = { free: "○ 空き", taken: "× 予約済み", blocked: "利用不可", not_open: "受付前",
                     closed_online: "受付終了", past: "終了", closed: "休館" };
  var S = { token: null, facilities: [], residentTypes: {}, unit: null, month: null, day: null, slot: null,
            form: {}, changing: null, profile: null };
  var main, statusBox;

  // ---- small helpers ---------------------------------------------------------------------

  var h = window.MadoguchiPage.h;  // liff/common/page.js
  function yen(n) { return Number(n).toLocaleString("ja-JP") + "円"; }
  function hm(m) { return (m > 1440 ? "翌" + Math.floor((m - 1440) / 60) : Math.floor(m / 60)) + ":" + ("0" + (m % 60)).slice(-2); }
  function parseDay(iso) { var p = iso.split("-"); return new Date(+p[0], +p[1] - 1, +p[2]); }
  function dayLabel(iso) { var d = parseDay(iso); return (d.getMonth() + 1) + "月" + d.getDate() + "日(" + WD[d.getDay()] + ")"; }
  function say(text) { statusBox.textContent = text || ""; }
  function screen(title) {
    main.textContent = "";
    var h2 = h("h2", { tabindex: "-1", text: title });
    main.appendChild(h2);
    h2.focus();
    window.scrollTo(0, 0);
    return main;
  }
  function backButton(label, fn) { return h("button", { type: "button", class: "back", onclick: fn, text: "← " + label }); }

  // ---- identity and API ------------------------------------------------------------------



  function api(path, method, body) {
    return fetch("api/" + path, {
      method: method || "GET",
      headers: { "Authorization": "Bearer " + S.token, "Content-Type": "application/json" },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (res.status === 401 || res.status === 503) {
          say(data.error ? data.error.message : "通信できませんでした。");
        }
        return { ok: res.ok, status: res.status, data: data };
      });
    }, function () {
      say("通信できませんでした。電波の良いところでもう一度お試しください。");
      return { ok: false, status: 0, data: {} };
    });
  }

  // ---- 1. facilities ---------------------------------------------------------------------

  function facilitiesScreen() {
    S.changing = null;
    var m = screen("施設を選んでください");
    var list = h("ul", { class: "list two", "aria-label": "施設の一覧" });
    S.facilities.forEach(function (f) {
      list.appendChild(h("li", { class: "card" },
        h("h3", { text: f.name }),
        f.address ? h("p", { text: f.address }) : null,
        h("div", { class: "units", role: "group", "aria-label": f.name + "の室場" },
          f.units.map(function (u) {
            return h("button", { type: "button", onclick: function () { openUnit(u.unit_id); },
                                 text: u.name + (u.visibility === "availability" ? "（空き状況のみ）" : "") });
          }))));
    });
    m.appendChild(list);
  }

  function openUnit(unitId, month) {
    return api("units/" + unitId).then(function (r) {
      if (!r.ok) { say(r.data.error ? r.data.error.message : "施設を開けませんでした。"); return; }
      S.unit = r.data;
      var now = new Date();
      S.month = month || (now.getFullYear() + "-" + ("0" + (now.getMonth() + 1)).slice(-2));
      return calendarScreen();
    });
  }

  // ---- 2. month calendar -----------------------------------------------------------------

  function shiftMonth(ym, delta) {
    var p = ym.split("-"), d = new Date(+p[0], +p[1] - 1 + delta, 1);
    return d.getFullYear() + "-" + ("0" + (d.getMonth() + 1)).slice(-2);
  }

  function calendarScreen() {
    return api("units/" + S.unit.unit_id + "/month?month=" + S.month).then(function (r) {
      if (!r.ok) { say(r.data.error ? r.data.error.message : "空き状況を取得できませんでした。"); return; }
      var p = S.month.split("-");
      var m = screen(S.unit.facility_name + " " + S.unit.name + (S.changing ? "（変更先を選ぶ）" : ""));
      m.appendChild(backButton(S.changing ? "予約の確認へ戻る" : "施設の選択へ戻る", S.changing ? mineScreen : facilitiesScreen));
      if (S.unit.visibility === "availability") {
        m.appendChild(h("p", { class: "error", text: "この施設は空き状況のみの公開です。予約は施設の窓口（" + (S.unit.phone || "") + "）へお申し込みください。" }));
      }
      var now = new Date(), thisMonth = now.getFullYear() + "-" + ("0" + (now.getMonth() + 1)).slice(-2);
      // Buttons are named by what they show (WCAG 2.5.3); the arrows are decoration.
      var bar = h("div", { class: "monthbar" },
        h("button", { type: "button", disabled: S.month <= thisMonth,
                      onclick: function () { S.month = shiftMonth(S.month, -1); calendarScreen(); } },
          h("span", { "aria-hidden": "true", text: "‹ " }), "前の月"),
        h("h3", { id: "month-title", "aria-live": "polite", text: p[0] + "年" + (+p[1]) + "月" }),
        h("button", { type: "button", disabled: S.month >= shiftMonth(thisMonth, 6),
                      onclick: function () { S.month = shiftMonth(S.month, 1); calendarScreen(); } },
          "次の月", h("span", { "aria-hidden": "true", text: " ›" })));
      m.appendChild(bar);
      var table = h("table", { class: "cal", "aria-labelledby": "month-title" });
      var head = h("tr", {});
      for (var i = 0; i < 7; i++) head.appendChild(h("th", { scope: "col", class: i === 0 ? "sun" : (i === 6 ? "sat" : ""), text: WD[i] }));
      table.appendChild(h("thead", {}, head));
      var body = h("tbody", {}), row = h("tr", {});
      var first = parseDay(r.data.days[0].day).getDay();
      for (var k = 0; k < first; k++) row.appendChild(h("td", {}));
      r.data.days.forEach(function (d) {
        var date = parseDay(d.day), wd = date.getDay();
        if (wd === 0 && row.childNodes.length) { body.appendChild(row); row = h("tr", {}); }
        var off = d.state === "closed" || d.state === "past";
        // The name is what the button shows, completed for the ear: 「11月24日(火) 休館 定休日」 — the
        // month, weekday and the mark's meaning are read but not shown; the mark itself is not read.
        row.appendChild(h("td", { class: wd === 0 ? "sun" : (wd === 6 ? "sat" : "") },
          h("button", { type: "button", class: d.state, disabled: off, "data-day": d.day,
                        onclick: function () { S.day = d.day; dayScreen(); } },
            h("span", { class: "visually-hidden", text: (date.getMonth() + 1) + "月" }),
            h("span", { class: "d", text: String(date.getDate()) }),
            h("span", { class: "visually-hidden", text: "日(" + WD[wd] + ")" }),
            h("span", { class: "m", "aria-hidden": "true", text: d.mark || " " }),
            STATE_LABEL[d.state] ? h("span", { class: "visually-hidden", text: STATE_LABEL[d.state] }) : null,
            d.note ? h("span", { class: "note", text: d.note }) : null)));
      });
      body.appendChild(row);
      table.appendChild(body);
      m.appendChild(table);
      m.appendChild(h("p", { class: "legend", text: "○ 空き　△ 残りわずか　× 満　— 休館" }));
    });
  }

  // ---- 3. frames of a day ----------------------------------------------------------------

  function dayScreen() {
    return api("units/" + S.unit.unit_id + "/day?day=" + S.day).then(function (r) {
      if (!r.ok) { say(r.data.error ? r.data.error.message : "予約枠を取得できませんでした。"); return; }
      var m = screen(dayLabel(S.day) + " の予約枠");
      m.appendChild(backButton("カレンダーへ戻る", calendarScreen));
      var slots = r.data.slots;
      var canBook = S.unit.visibility !== "availability";
      if (S.unit.booking_mode === "free") return freeDay(m, slots, canBook);
      var list = h("ul", { class: "list slots", "aria-label": "予約枠" });
      slots.forEach(function (s) {
        list.appendChild(h("li", {}, h("button", {
          type: "button", disabled: !(canBook && s.status === "free"), "data-start": String(s.start_minute),
          onclick: function () { S.slot = { start: s.start_minute, end: s.end_minute, label: s.label }; formScreen(); } },
          h("span", { text: s.time + (s.label ? "　" + s.label : "") }), h("span", { text: SLOT_LABEL[s.status] || s.status }))));
      });
      if (!slots.length) m.appendChild(h("p", { text: "この日は予約できる枠がありません。" }));
      m.appendChild(list);
    });
  }

  function freeDay(m, cells, canBook) {
    var u = S.unit, step = u.slot_minutes, minLen = u.min_minutes || step, maxLen = u.max_minutes || step * 24;
    m.appendChild(h("p", { text: "開始時刻を選んでから、ご利用時間を選んでください（" + step + "分単位）。" }));
    var pick = h("div", {});
    var list = h("ul", { class: "list slots two", "aria-label": "開始時刻" });
    cells.forEach(function (c, i) {
      list.appendChild(h("li", {}, h("button", {
        type: "button", disabled: !(canBook && c.status === "free"), "data-start": String(c.start_minute),
        onclick: function () { lengths(i); } },
        h("span", { text: hm(c.start_minute) + "〜" }), h("span", { text: SLOT_LABEL[c.status] || c.status }))));
    });
    function lengths(i) {
      pick.textContent = "";
      var options = [], len = 0;
      for (var j = i; j < cells.length && cells[j].status === "free" && len + step <= maxLen; j++) {
        if (j > i && cells[j].start_minute !== cells[j - 1].end_minute) break;
        len += step;
        if (len >= minLen) options.push(len);
      }
      if (!options.length) { say("その時刻からは" + minLen + "分続けて空いていません。"); return; }
      var sel = h("select", { id: "length" }, options.map(function (l) {
        return h("option", { value: String(l), text: (l / 60) + "時間（" + hm(cells[i].start_minute) + "〜" + hm(cells[i].start_minute + l) + "）" });
      }));
      pick.appendChild(h("div", { class: "form" }, h("label", { for: "length", text: "ご利用時間" }), sel,
        h("div", { class: "actions" }, h("button", { type: "button", class: "primary", onclick: function () {
          var l = +sel.value;
          S.slot = { start: cells[i].start_minute, end: cells[i].start_minute + l, label: "" };
          formScreen();
        } }, "次へ"))));
      sel.focus();
    }
    m.appendChild(list);
    m.appendChild(pick);
  }

  // ---- 4. details form -------------------------------------------------------------------

  function field(id, label, input, hint) {
    return h("div", {}, h("label", { for: id }, label, hint ? h("span", { class: "hint", text: "　" + hint }) : null), input);
  }

  function formScreen() {
    if (S.changing) return confirmScreen();
    var u = S.unit, f = S.form, p = S.profile || {};
    var m = screen("ご利用内容の入力");
    m.appendChild(backButton("予約枠へ戻る", dayScreen));
    m.appendChild(h("p", { text: u.facility_name + " " + u.name + "　" + dayLabel(S.day) + " " + hm(S.slot.start) + "〜" + hm(S.slot.end) }));
    var form = h("form", { class: "form", novalidate: true });
    form.appendChild(field("people", "ご利用人数", h("input", { id: "people", type: "number", inputmode: "numeric",
      min: String(u.min_people || 1), max: u.capacity ? String(u.capacity) : null, required: true, value: String(f.people || "") }),
      u.capacity ? "定員 " + u.capacity + "人" : ""));
    if (u.purposes.length) {
      form.appendChild(field("purpose", "利用目的", h("select", { id: "purpose", required: true },
        u.purposes.map(function (x) { return h("option", { value: x, text: x, selected: f.purpose === x }); }))));
    }
    form.appendChild(field("activity", "活動内容", h("textarea", { id: "activity", required: u.activity_required, maxlength: "1000" }, f.activity || ""),
      u.activity_required ? "必須" : "任意"));
    if (u.equipment.length) {
      var fs = h("fieldset", {}, h("legend", { text: "備品・附属設備（必要な数）" }));
      u.equipment.forEach(function (e) {
        var id = "eq-" + e.id;
        fs.appendChild(field(id, e.name, h("input", { id: id, type: "number", inputmode: "numeric", min: "0",
          max: String(e.quantity), value: String((f.equipment || {})[e.id] || 0), "data-equipment": String(e.id) }),
          (e.fee ? yen(e.fee) + (e.fee_per === "hour" ? "/時間" : "/回") : "無料") + "・最大" + e.quantity + e.unit_label));
      });
      form.appendChild(fs);
    }
    var rt = h("fieldset", {}, h("legend", { text: "利用者区分" }));
    Object.keys(S.residentTypes).forEach(function (k) {
      rt.appendChild(h("div", { class: "choice" }, h("input", { type: "radio", name: "resident_type", id: "rt-" + k, value: k,
        checked: (f.resident_type || p.resident_type || "resident") === k }), h("label", { for: "rt-" + k, text: S.residentTypes[k] })));
    });
    form.appendChild(rt);
    form.appendChild(field("name", "お名前（団体名）", h("input", { id: "name", autocomplete: "name", required: true, value: f.name || p.name || "" })));
    form.appendChild(field("phone", "電話番号", h("input", { id: "phone", type: "tel", autocomplete: "tel", value: f.phone || p.phone || "" }), "当日連絡のつく番号"));
    form.appendChild(h("div", { class: "choice" }, h("input", { type: "checkbox", id: "remember", checked: true }),
      h("label", { for: "remember", text: "お名前と電話番号を次回のために保存する" })));
    if (u.terms) {
      form.appendChild(h("h3", { id: "terms-title", text: "利用上の遵守事項" }));
      form.appendChild(h("div", { class: "terms", tabindex: "0", role: "region", "aria-labelledby": "terms-title", text: u.terms }));
      form.appendChild(h("div", { class: "choice" }, h("input", { type: "checkbox", id: "terms", required: true, checked: !!f.terms_accepted }),
        h("label", { for: "terms", text: "遵守事項を確認し、同意します" })));
    }
    var err = h("p", { class: "error", role: "alert" });
    form.appendChild(err);
    form.appendChild(h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "確認へ進む")));
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var people = +document.getElementById("people").value;
      var equipment = {};
      Array.prototype.forEach.call(form.querySelectorAll("[data-equipment]"), function (el) {
        if (+el.value > 0) equipment[el.getAttribute("data-equipment")] = +el.value;
      });
      var checked = form.querySelector("input[name=resident_type]:checked");
      S.form = { people: people, purpose: u.purposes.length ? document.getElementById("purpose").value : "",
                 activity: document.getElementById("activity").value, equipment: equipment,
                 resident_type: checked ? checked.value : "resident", name: document.getElementById("name").value.trim(),
                 phone: document.getElementById("phone").value.trim(), remember: document.getElementById("remember").checked,
                 terms_accepted: u.terms ? document.getElementById("terms").checked : true };
      var problem = !people ? ["people", "ご利用人数を入力してください。"] : !S.form.name ? ["name", "お名前を入力してください。"]
        : (u.activity_required && !S.form.activity.trim()) ? ["activity", "活動内容を入力してください。"]
        : !S.form.terms_accepted ? ["terms", "遵守事項への同意が必要です。"] : null;
      if (problem) { err.textContent = problem[1]; document.getElementById(problem[0]).focus(); return; }
      confirmScreen();
    });
    m.appendChild(form);
  }

  // ---- 5. confirmation -------------------------------------------------------------------

  function payload() {
    var f = S.form;
    return { unit_id: S.unit.unit_id, day: S.day, start_minute: S.slot.start, end_minute: S.slot.end, people: f.people,
             purpose: f.purpose, activity: f.activity, equipment: f.equipment, resident_type: f.resident_type,
             name: f.name, phone: f.phone, remember: f.remember, terms_accepted: f.terms_accepted };
  }

  function confirmScreen() {
    var quote = S.changing ? Promise.resolve({ ok: true, data: { lines: [], fee: null, problems: [] } })
                           : api("quote", "POST", payload());
    return quote.then(function (r) {
      var m = screen(S.changing ? "変更内容の確認" : "予約内容の確認");
      m.appendChild(backButton(S.changing ? "予約枠へ戻る" : "入力へ戻る", S.changing ? dayScreen : formScreen));
      var f = S.form, u = S.unit;
      var rows = [["施設", u.facility_name + " " + u.name], ["日時", dayLabel(S.day) + " " + hm(S.slot.start) + "〜" + hm(S.slot.end)]];
      if (!S.changing) {
        rows.push(["人数", f.people + "人"], ["利用目的", f.purpose || "—"], ["お名前", f.name], ["電話番号", f.phone || "—"],
                  ["利用者区分", S.residentTypes[f.resident_type]]);
        var eq = u.equipment.filter(function (e) { return f.equipment[e.id]; }).map(function (e) { return e.name + " " + f.equipment[e.id] + e.unit_label; });
        rows.push(["備品", eq.length ? eq.join("、") : "なし"]);
      }
      m.appendChild(h("table", { class: "summary" }, h("tbody", {}, rows.map(function (x) {
        return h("tr", {}, h("th", { scope: "row", text: x[0] }), h("td", { text: x[1] }));
      }))));
      if (!r.ok) { m.appendChild(h("p", { class: "error", role: "alert", text: r.data.error ? r.data.error.message : "確認できませんでした。" })); return; }
      if (r.data.fee !== null) {
        m.appendChild(h("h3", { text: "使用料" }));
        m.appendChild(h("ul", {}, r.data.lines.map(function (l) { return h("li", { text: l.label + "：" + yen(l.amount) }); })));
        m.appendChild(h("p", { class: "fee", id: "fee", text: "合計 " + yen(r.data.fee) }));
      } else {
        m.appendChild(h("p", { text: "人数・備品などはそのままで、日時だけを変更します。使用料は変更後の日時で計算し直します。" }));
      }
      if (r.data.problems.length) {
        m.appendChild(h("div", { role: "alert" }, h("p", { class: "error", text: "このままでは予約できません。" }),
          h("ul", {}, r.data.problems.map(function (p) { return h("li", { class: "error", text: p.message }); }))));
        return;
      }
      if (u.approval_required) m.appendChild(h("p", { text: "この施設は町の承認が必要です。承認されるとLINEでお知らせします。" }));
      var result = h("div", { "aria-live": "polite" });
      m.appendChild(h("div", { class: "actions" }, h("button", { type: "button", class: "primary", id: "submit",
        onclick: function (ev) { ev.target.disabled = true; submit(result).then(function () { ev.target.disabled = false; }); } },
        S.changing ? "この内容で変更する" : "この内容で予約する")));
      m.appendChild(result);
    });
  }

  function submit(result) {
    var path = S.changing ? "reservations/" + encodeURIComponent(S.changing) + "/change" : "reservations";
    return api(path, "POST", payload()).then(function (r) {
      result.textContent = "";
      if (r.ok) return doneScreen(r.data);
      if (r.status === 409) return takenBox(result, r.data);
      result.appendChild(h("p", { class: "error", role: "alert", text: r.data.error ? r.data.error.message : "予約できませんでした。" }));
    });
  }

  function takenBox(box, data) {
    box.appendChild(h("p", { class: "error", role: "alert", text: data.error.message }));
    if (data.alternatives && data.alternatives.length) {
      box.appendChild(h("h3", { text: "空いている枠" }));
      box.appendChild(h("ul", { class: "list" }, data.alternatives.map(function (a) {
        return h("li", {}, h("button", { type: "button", onclick: function () {
          var go = a.unit_id === S.unit.unit_id ? Promise.resolve() : api("units/" + a.unit_id).then(function (r) { if (r.ok) S.unit = r.data; });
          go.then(function () { S.day = a.day; S.slot = { start: a.start_minute, end: a.end_minute, label: a.label }; confirmScreen(); });
        } }, a.unit_name + "　" + dayLabel(a.day) + " " + a.time));
      })));
    }
    if (data.waitlist_available && !S.changing) {
      box.appendChild(h("div", { class: "actions" }, h("button", { type: "button", onclick: function (ev) {
        ev.target.disabled = true;
        api("waitlist", "POST", payload()).then(function (r) {
          say(r.ok ? "キャンセル待ちに登録しました（" + r.data.position + "番目）。空きが出たらLINEでお知らせします。"
                   : (r.data.error ? r.data.error.message : "登録できませんでした。"));
        });
      } }, "この枠のキャンセル待ちに登録する")));
    }
  }

  // ---- 6. done ---------------------------------------------------------------------------

  function doneScreen(data) {
    var changed = !!S.changing;
    S.changing = null;
    var m = screen(changed ? "予約を変更しました" : (data.status === "pending" ? "予約を申し込みました" : "予約が完了しました"));
    m.appendChild(h("p", {}, "予約番号 ", h("span", { class: "number", id: "reservation-number", text: data.number })));
    if (data.status === "pending") m.appendChild(h("p", { text: "町の承認をお待ちください。結果はLINEでお知らせします。" }));
    m.appendChild(h("p", { text: "使用料 " + yen(data.fee) + "（当日、施設でお支払いください）" }));
    S.form.terms_accepted = false;
    m.appendChild(h("div", { class: "actions" },
      h("button", { type: "button", class: "primary", onclick: mineScreen }, "予約の確認へ"),
      h("button", { type: "button", onclick: facilitiesScreen }, "続けて予約する")));
  }

  // ---- 7. my bookings --------------------------------------------------------------------

  function mineScreen() {
    S.changing = null;
    return api("reservations").then(function (r) {
      var m = screen("予約の確認・取消");
      if (!r.ok) { m.appendChild(h("p", { class: "error", text: r.data.error ? r.data.error.message : "取得できませんでした。" })); return; }
      var items = r.data.reservations;
      if (!items.length) { m.appendChild(h("p", { text: "これからのご予約はありません。" })); return; }
      m.appendChild(h("ul", { class: "list" }, items.map(function (v) {
        var box = h("div", { class: "actions" });
        if (v.status === "offered") {
          box.appendChild(h("button", { type: "button", class: "primary", onclick: function () { act("offers/" + v.number + "/accept", "予約が確定しました。"); } }, "予約する"));
          box.appendChild(h("button", { type: "button", onclick: function () { act("offers/" + v.number + "/decline", "辞退しました。"); } }, "辞退する"));
        }
        if (v.can_change) {
          box.appendChild(h("button", { type: "button", onclick: function () {
            S.changing = v.number;
            S.form = { people: v.people, purpose: v.purpose, equipment: {}, resident_type: (S.profile || {}).resident_type || "resident" };
            openUnit(v.unit_id, v.day.slice(0, 7));
          } }, "日時を変更"));
        }
        if (v.can_cancel) {
          box.appendChild(h("button", { type: "button", onclick: function (ev) {
            var b = ev.target;
            b.replaceWith(h("span", { class: "choice" }, h("strong", { text: "取り消しますか？" }),
              h("button", { type: "button", class: "primary", onclick: function () { act("reservations/" + v.number + "/cancel", "予約を取り消しました。"); } }, "取り消す"),
              h("button", { type: "button", onclick: mineScreen }, "やめる")));
          } }, "取り消す"));
        }
        if (!v.can_cancel && !v.can_change && v.status !== "offered" && v.status !== "cancelled") {
          box.appendChild(h("p", { class: "hint", text: "変更・取消は施設へお電話ください。" }));
        }
        return h("li", { class: "card", "data-number": v.number },
          h("h3", { text: v.facility_name + " " + v.unit_name }),
          h("p", { text: dayLabel(v.day) + " " + v.time + "　" + v.status_label }),
          h("p", { text: "予約番号 " + v.number + "　使用料 " + yen(v.fee) + "　" + v.people + "人" }),
          v.equipment.length ? h("p", { text: "備品: " + v.equipment.map(function (e) { return e.name + e.quantity + e.unit_label; }).join("、") }) : null,
          v.offer_expires_at ? h("p", { class: "error", text: "キャンセル待ちの空きがあります。期限までにお手続きください。" }) : null,
          v.cancel_reason ? h("p", { class: "error", text: "取消の理由: " + v.cancel_reason }) : null,
          box);
      })));
    });
  }

  function act(path, done) {
    return api(path, "POST", {}).then(function (r) {
      say(r.ok ? done : (r.data.error ? r.data.error.message : "できませんでした。"));
      return mineScreen();
    });
  }

  // ---- help (表4 no.12: an online manual for citizens) -------------------------------------

  var HELP = [
    ["予約のしかた", "1. 「予約する」から施設と室場（全面・半面など）を選びます。\n2. カレンダーで日付を選びます。○は空きあり、△は残りわずか、×は満、—は休館日です。\n3. 時間帯（予約枠）を選び、人数・利用目的・備品を入力します。\n4. 遵守事項を読んで同意し、「確認へ進む」を押します。\n5. 使用料を確かめて「この内容で予約する」を押すと予約番号が表示されます。"],
    ["予約の確認・変更・取消", "「予約の確認・取消」で今後の予約が見られます。施設ごとに決められた期限までは、日時の変更や取消ができます。期限を過ぎた場合は施設へお電話ください。"],
    ["キャンセル待ち", "満の枠を選んだときに「キャンセル待ちに登録する」を押すと、空きが出たときにLINEでお知らせします。お知らせから「予約する」を押すと予約が確定します。"],
    ["使用料・利用者区分", "使用料は町内在住・在学・在勤の方と町外の方で異なります。当日、施設でお支払いください。"],
    ["前日のお知らせ", "ご利用日の前日に、LINEで予約内容をお知らせします。"]
  ];

  function helpScreen() {
    var m = screen("予約ページの使い方");
    HELP.forEach(function (x) { m.appendChild(h("h3", { text: x[0] })); m.appendChild(h("p", { class: "terms", text: x[1] })); });
    m.appendChild(h("div", { class: "actions" }, h("button", { type: "button", class: "primary", onclick: facilitiesScreen }, "予約をはじめる")));
  }

  // ---- start -----------------------------------------------------------------------------

  function start() {
    main = document.getElementById("main");
    statusBox = document.getElementById("status");
    document.getElementById("nav-new").addEventListener("click", facilitiesScreen);
    document.getElementById("nav-mine").addEventListener("click", mineScreen);
    document.getElementById("nav-help").addEventListener("click", helpScreen);
    window.MadoguchiPage.idToken().then(function (t) {
      S.token = t;
      if (!t) { screen("LINEから開いてください"); main.appendChild(h("p", { text: "この予約ページはLINEのトーク画面のメニューから開いてください。" })); return; }
      return Promise.all([api("facilities"), api("profile")]).then(function (rs) {
        if (!rs[0].ok) { screen("予約ページを開けませんでした"); main.appendChild(h("p", { text: rs[0].data.error ? rs[0].data.error.message : "" })); return; }
        S.facilities = rs[0].data.facilities;
        S.residentTypes = rs[0].data.resident_types;
        S.profile = rs[1].ok ? rs[1].data : null;
        var params = new URLSearchParams(window.location.search);
        if (params.get("view") === "mine") return mineScreen();
        if (params.get("view") === "help") return helpScreen();
        if (params.get("unit")) return openUnit(+params.get("unit"));
        return facilitiesScreen();
      });
    }).catch(function () { say("予約ページを開けませんでした。"); });
  }

  document.addEventListener("DOMContentLoaded", start);
})();
