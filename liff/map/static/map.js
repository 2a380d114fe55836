/* 施設マップ: the facilities of the page's list as markers on a Leaflet map (served from static/vendor).
 * Text is always set with textContent (never parsed as HTML). Without tiles (offline, tile server
 * down) the markers and the list still show, with a note; without Leaflet the list alone does. */
"use strict";
(function () {
  var config = JSON.parse(document.getElementById("map-config").textContent);
  var note = document.getElementById("map-note");
  if (typeof window.L === "undefined") return;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function popup(f) {
    var box = el("div", "popup");
    box.appendChild(el("p", "popup-title", f.name));
    box.appendChild(el("p", "", f.category + (f.today ? "　" + f.today : "")));
    if (f.address) box.appendChild(el("p", "", f.address));
    if (f.phone) box.appendChild(el("p", "", "電話 " + f.phone));
    var more = el("a", "", "一覧で詳しく見る");
    more.href = "#f-" + f.code;
    box.appendChild(el("p")).appendChild(more);
    return box;
  }

  var container = document.getElementById("map");
  container.classList.add("ready");
  var map = L.map(container, { zoomControl: false, attributionControl: false }).setView(config.center, config.zoom);
  L.control.zoom({ zoomInTitle: "拡大", zoomOutTitle: "縮小" }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  var attribution = config.tiles.attributionUrl
    ? '<a href="' + escapeHtml(config.tiles.attributionUrl) + '" target="_blank" rel="noopener">' +
      escapeHtml(config.tiles.attribution) + "</a>"
    : escapeHtml(config.tiles.attribution);
  L.control.attribution({ prefix: false }).addAttribution(attribution).addTo(map);

  var loaded = 0;
  L.tileLayer(config.tiles.url, { maxZoom: config.tiles.maxZoom })
    .on("tileload", function () { loaded += 1; note.textContent = ""; })
    .on("tileerror", function () {
      if (!loaded) note.textContent = "地図の画像を読み込めませんでした（通信できない場所にいるのかもしれません）。" +
        "施設の位置は地図上の印と、下の一覧でご覧いただけます。";
    })
    .addTo(map);

  var markers = {};
  config.facilities.forEach(function (f) {
    var pin = el("span", "pin pin-c" + f.colour);
    var icon = L.divIcon({ className: "pin-marker", html: pin, iconSize: [30, 30], iconAnchor: [15, 30], popupAnchor: [0, -28] });
    markers[f.code] = L.marker([f.lat, f.lng], { icon: icon, title: f.name, keyboard: true })
      .bindPopup(popup(f), { maxWidth: 280 }).addTo(map);
  });

  function show(code) {
    var marker = markers[code];
    if (!marker) return;
    map.setView(marker.getLatLng(), Math.max(map.getZoom(), 15));
    marker.openPopup();
    container.scrollIntoView({ block: "start" });
  }

  document.querySelectorAll(".show-on-map").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { show(button.getAttribute("data-code")); });
  });
  if (config.focus && markers[config.focus]) markers[config.focus].openPopup();
  document.body.setAttribute("data-map-ready", "true");
})();
