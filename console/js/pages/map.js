// A map of points for the console (the 通報 inbox): the vendored Leaflet (console/vendor/leaflet, see
// its README) over the town's tile server (GET /reports/map: 地理院タイル unless the town chose
// otherwise). Without tiles (no network, tile server down) the markers still show on a plain
// background with a note; without Leaflet at all, the page's list still has everything.
let loading = null;

function loadLeaflet() {
  if (window.L) return Promise.resolve(window.L);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const css = Object.assign(document.createElement("link"), { rel: "stylesheet", href: "/admin/vendor/leaflet/leaflet.css" });
      document.head.append(css);
      const script = Object.assign(document.createElement("script"), { src: "/admin/vendor/leaflet/leaflet.js" });
      script.onload = () => resolve(window.L);
      script.onerror = () => { loading = null; reject(new Error("leaflet")); };
      document.head.append(script);
    });
  }
  return loading;
}

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

// pointMap(container, note, settings) → {show(points), focus(id)}; a point: {id, lat, lng, label, kind, onSelect}.
export async function pointMap(container, note, settings) {
  let L;
  try { L = await loadLeaflet(); } catch {
    note.textContent = "地図を表示できませんでした。通報は下の一覧でご覧いただけます。";
    return { show() {}, focus() {} };
  }
  container.classList.add("ready");
  const center = settings.center_latitude !== null ? [settings.center_latitude, settings.center_longitude] : [35.0, 135.0];
  const map = L.map(container, { zoomControl: false, attributionControl: false, keyboard: true }).setView(center, 14);
  L.control.zoom({ zoomInTitle: "拡大", zoomOutTitle: "縮小" }).addTo(map);
  L.control.scale({ imperial: false }).addTo(map);
  const attribution = settings.attribution_url
    ? `<a href="${escapeHtml(settings.attribution_url)}" target="_blank" rel="noopener">${escapeHtml(settings.attribution)}</a>`
    : escapeHtml(settings.attribution);
  L.control.attribution({ prefix: false }).addAttribution(attribution).addTo(map);
  let loaded = 0;
  L.tileLayer(settings.tile_url, { maxZoom: settings.max_zoom })
    .on("tileload", () => { loaded += 1; note.textContent = ""; container.classList.remove("no-tiles"); })
    .on("tileerror", () => {
      if (loaded) return;
      container.classList.add("no-tiles");
      note.textContent = "背景の地図を読み込めませんでした（地図の配信元に接続できません）。通報の位置は地図上の印と一覧でご覧いただけます。";
    })
    .addTo(map);
  const layer = L.featureGroup().addTo(map);
  const markers = new Map();
  return {
    show(points) {
      layer.clearLayers(); markers.clear();
      for (const p of points) {
        const marker = L.circleMarker([p.lat, p.lng], { radius: 9, weight: 2, className: `report-marker kind-${p.kind}` })
          .bindTooltip(p.label).on("click", () => p.onSelect());
        marker.addTo(layer);
        markers.set(p.id, marker);
      }
      if (points.length) map.fitBounds(layer.getBounds().pad(0.2), { maxZoom: 16 });
      container.dataset.markers = String(points.length);
    },
    focus(id) {
      const m = markers.get(id);
      if (!m) return;
      markers.forEach((x) => x.setStyle({ weight: 2 }));
      m.setStyle({ weight: 5 }); m.bringToFront();
      map.setView(m.getLatLng(), Math.max(map.getZoom(), 16));
    },
  };
}
