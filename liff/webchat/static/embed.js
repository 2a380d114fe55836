// Add the town's chat to any page: <script src="https://…/liff/webchat/embed.js" defer></script>
(function () {
  "use strict";
  var me = document.currentScript;
  var base = me ? me.src.replace(/embed\.js(\?.*)?$/, "") : "/liff/webchat/";
  var open = false;
  var frame = document.createElement("iframe");
  frame.src = base;
  frame.title = "チャットで質問する";
  frame.style.cssText = "position:fixed;right:16px;bottom:80px;width:360px;height:560px;max-width:calc(100% - 32px);" +
    "max-height:calc(100% - 100px);border:1px solid #ccd;border-radius:12px;box-shadow:0 4px 16px rgba(0,0,0,.2);" +
    "display:none;z-index:2147483646;background:#fff";
  var button = document.createElement("button");
  button.type = "button";
  button.textContent = "チャットで質問";
  button.setAttribute("aria-expanded", "false");
  button.style.cssText = "position:fixed;right:16px;bottom:16px;z-index:2147483647;padding:12px 18px;border:0;" +
    "border-radius:24px;background:#2e7d32;color:#fff;font:bold 15px system-ui,sans-serif;cursor:pointer";
  button.addEventListener("click", function () {
    open = !open;
    frame.style.display = open ? "block" : "none";
    button.setAttribute("aria-expanded", String(open));
  });
  document.body.appendChild(frame);
  document.body.appendChild(button);
})();
