// The maintenance notice (国富町 §5(イ), §8(4)(ア)): every citizen's page shows the window staff
// scheduled, in advance and during it (GET /api/maintenance; docs/operations.md).
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function when(iso) {
    // "2026-12-20T22:00:00+09:00" -> "12月20日 22:00" (the service answers in Japan time)
    var m = /^\d{4}-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso);
    return m ? Number(m[1]) + "月" + Number(m[2]) + "日 " + m[3] + ":" + m[4] : iso;
  }
  function show(notice) {
    var box = document.createElement("div");
    box.className = "maintenance-banner";
    box.setAttribute("role", "status");
    box.style.background = "#FFF3CD";
    box.style.color = "#3D2E00";
    box.style.border = "2px solid #8A6D00";
    box.style.padding = "0.75em 1em";
    box.style.margin = "0 0 1em";
    box.style.fontSize = "1rem";
    var head = document.createElement("strong");
    head.textContent = (notice.active ? "ただいまメンテナンス中です（" : "メンテナンスのお知らせ（") +
      when(notice.starts_at) + "〜" + when(notice.ends_at) + "）";
    var text = document.createElement("p");
    text.style.margin = "0.25em 0 0";
    text.textContent = notice.message;
    box.appendChild(head);
    box.appendChild(text);
    document.body.insertBefore(box, document.body.firstChild);
  }
  function load() {
    fetch("/api/maintenance", { credentials: "omit", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : { notice: null }; })
      .then(function (body) { if (body && body.notice) { show(body.notice); } })
      .catch(function () { /* no notice shown: the page works as always */ });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", load); } else { load(); }
}());
