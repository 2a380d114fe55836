/* What every citizen page (施設予約, フォーム, マイページ) shares, served by each page at common/page.js
 * and loaded before the page's own script (both deferred, so in order):
 *
 *  - h(tag, attrs, ...children): a DOM builder; text is always a text node, never parsed as HTML.
 *  - idToken({webSignIn}): the citizen's LIFF ID token. Inside LINE, liff.getIDToken() (the page's LIFF
 *    id in <body data-liff-id>); otherwise — the local emulator, an offline demo, tests — ?id_token=… in
 *    the URL or window.MADOGUCHI_ID_TOKEN (a test hook), kept in sessionStorage and taken out of the
 *    address bar. With webSignIn, a browser outside LINE that is not logged in gets null (マイページ then
 *    offers the e-mail sign-in) instead of being sent to LINE Login.
 */
(function () {
  "use strict";

  function h(tag, attrs) {
    var el = document.createElement(tag);
    var kids = Array.prototype.slice.call(arguments, 2);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "class") el.className = v;
      else if (k === "text") el.textContent = v;
      else if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
      else if (v === true) el.setAttribute(k, "");
      else el.setAttribute(k, v);
    });
    kids.forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      if (Array.isArray(c)) c.forEach(function (x) { if (x) el.appendChild(x); });
      else el.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return el;
  }

  function tokenFromPage() {
    var params = new URLSearchParams(window.location.search);
    var t = params.get("id_token") || window.MADOGUCHI_ID_TOKEN || sessionStorage.getItem("madoguchi.idToken");
    if (params.has("id_token")) {  // keep the token out of the address bar and of history
      params.delete("id_token");
      var rest = params.toString();
      window.history.replaceState(null, "", window.location.pathname + (rest ? "?" + rest : "") + window.location.hash);
    }
    if (t) sessionStorage.setItem("madoguchi.idToken", t);
    return t;
  }

  function idToken(options) {
    var webSignIn = !!(options && options.webSignIn);
    var liffId = document.body.getAttribute("data-liff-id");
    if (window.liff && liffId) {
      return window.liff.init({ liffId: liffId }).then(function () {
        if (!window.liff.isLoggedIn() && !(webSignIn && window.liff.isInClient())) {
          if (webSignIn) return null;  // the web: e-mail sign-in
          window.liff.login();
          return null;
        }
        return window.liff.getIDToken();
      });
    }
    return Promise.resolve(tokenFromPage());
  }

  window.MadoguchiPage = Object.freeze({ h: h, idToken: idToken });
})();
