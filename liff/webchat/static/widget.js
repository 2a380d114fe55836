// The web chat page: sends what the citizen types or taps to /api/messages and renders the same
// message objects the LINE bot sends (text, quick replies, Flex bubbles and carousels, locations).
(function () {
  "use strict";
  var KEY = "madoguchi.webchat.session";
  var log = document.getElementById("log");
  var quick = document.getElementById("quick");
  var input = document.getElementById("input");
  var busy = false;
  // 有人チャット: while a hand-over to staff is open, staff replies are fetched every few seconds.
  var staff = { timer: null, last: 0 };

  function session() { try { return localStorage.getItem(KEY); } catch (e) { return null; } }
  function remember(id) { try { localStorage.setItem(KEY, id); } catch (e) { /* private mode */ } }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function scroll() { log.scrollTop = log.scrollHeight; }

  function actionButton(action, primary) {
    if (!action) return null;
    if (action.type === "uri") {
      var a = el("a", "btn", action.label || "開く");
      a.href = action.uri; a.target = "_blank"; a.rel = "noopener";
      return a;
    }
    if (action.type !== "postback" && action.type !== "message") return null; // camera, location: LINE only
    var b = el("button", primary ? "primary" : "", action.label || "");
    b.type = "button";
    b.dataset.testid = "action";
    b.addEventListener("click", function () { act(action); });
    return b;
  }

  function texts(node, out) {
    if (!node || typeof node !== "object") return out;
    if (Array.isArray(node)) { node.forEach(function (n) { texts(n, out); }); return out; }
    if (node.type === "text" && typeof node.text === "string") out.push({ text: node.text, bold: node.weight === "bold" });
    if (node.type === "box") texts(node.contents, out);
    return out;
  }

  function buttons(node, out) {
    if (!node || typeof node !== "object") return out;
    if (Array.isArray(node)) { node.forEach(function (n) { buttons(n, out); }); return out; }
    if (node.type === "button") out.push(node);
    if (node.type === "box") buttons(node.contents, out);
    return out;
  }

  function bubble(b) {
    var card = el("div", "card");
    card.dataset.testid = "card";
    if (b.hero && b.hero.url) { var img = el("img"); img.src = b.hero.url; img.alt = ""; card.appendChild(img); }
    var body = el("div", "body");
    texts(b.body, []).forEach(function (t) { body.appendChild(el("div", t.bold ? "strong" : "", t.text)); });
    card.appendChild(body);
    var found = buttons(b.footer, []);
    if (found.length) {
      var foot = el("div", "foot");
      found.forEach(function (btn) { var n = actionButton(btn.action, btn.style === "primary"); if (n) foot.appendChild(n); });
      card.appendChild(foot);
    }
    return card;
  }

  function render(message) {
    if (message.type === "text") { var m = el("div", "msg bot", message.text); m.dataset.testid = "bot"; return m; }
    if (message.type === "flex" && message.contents) {
      if (message.contents.type === "carousel") {
        var row = el("div", "carousel");
        message.contents.contents.forEach(function (b) { row.appendChild(bubble(b)); });
        return row;
      }
      return bubble(message.contents);
    }
    if (message.type === "location") {
      var loc = el("div", "msg bot", "📍 " + (message.title || "") + "\n" + (message.address || ""));
      loc.dataset.testid = "bot";
      return loc;
    }
    var other = el("div", "msg bot", message.altText || "（LINE でご覧ください）");
    other.dataset.testid = "bot";
    return other;
  }

  function showQuick(message) {
    quick.replaceChildren();
    var items = (message && message.quickReply && message.quickReply.items) || [];
    items.forEach(function (item) { var b = actionButton(item.action, false); if (b) quick.appendChild(b); });
  }

  function userSays(text) { log.appendChild(el("div", "msg user", text)); scroll(); }

  function post(payload) {
    if (busy) return;
    busy = true;
    payload.session = session();
    fetch("api/messages", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(payload) })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (res) {
        if (!res.ok) {
          var e = el("div", "msg bot", (res.body.error && res.body.error.message) || "送信できませんでした。");
          e.dataset.testid = "bot";
          log.appendChild(e);
          return;
        }
        remember(res.body.session);
        res.body.messages.forEach(function (m) { log.appendChild(render(m)); });
        showQuick(res.body.messages[res.body.messages.length - 1]);
        if (res.body.handover && !staff.timer) staff.timer = setTimeout(staffReplies, 3000);
      })
      .catch(function () { log.appendChild(el("div", "msg bot", "通信できませんでした。しばらくしてからお試しください。")); })
      .then(function () { busy = false; scroll(); });
  }

  function staffReplies() {
    staff.timer = null;
    var id = session();
    if (!id) return;
    fetch("api/handover?session=" + encodeURIComponent(id) + "&after=" + staff.last)
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body) { staff.timer = setTimeout(staffReplies, 10000); return; }
        staff.last = body.last;
        body.messages.forEach(function (m) { log.appendChild(render(m)); });
        if (body.messages.length) { showQuick(body.messages[body.messages.length - 1]); scroll(); }
        if (body.open) staff.timer = setTimeout(staffReplies, 3000);
      })
      .catch(function () { staff.timer = setTimeout(staffReplies, 10000); });
  }

  function act(action) {
    if (action.type === "message") { userSays(action.text); post({ text: action.text }); }
    else if (action.type === "postback") { userSays(action.displayText || action.label || ""); post({ postback: action.data }); }
  }

  document.getElementById("composer").addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text || busy) return;
    input.value = "";
    userSays(text);
    post({ text: text });
  });
  var hello = el("div", "msg bot", "こんにちは。町のよくある質問にお答えします。ご質問を入力してください。");
  hello.dataset.testid = "bot";
  log.appendChild(hello);
  document.body.dataset.ready = "true";
})();
