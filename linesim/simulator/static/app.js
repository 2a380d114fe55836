// linesim chat simulator: choose a citizen, chat with the bot, tap what it sends.
import { renderRow, STICKERS } from "./render.js";
import { RichMenuView } from "./richmenu.js";

const $ = (id) => document.getElementById(id);
const state = { channel: null, user: null, users: [], places: [], stream: null, lastEntry: null };
const timeFormat = new Intl.DateTimeFormat("ja-JP", { hour: "2-digit", minute: "2-digit", timeZone: "Asia/Tokyo" });

async function api(path, { method = "GET", json, body, headers } = {}) {
  const url = new URL(path, location.origin);
  if (state.channel) url.searchParams.set("channel", state.channel);
  const init = { method, headers: { ...(headers || {}) } };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  } else if (body !== undefined) {
    init.body = body;
  }
  const response = await fetch(url, init);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `HTTP ${response.status}`);
  return data;
}

let toastTimer = null;
function toast(text) {
  const node = $("toast");
  node.textContent = text;
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { node.hidden = true; }, 4000);
}

function checkDelivery(result) {
  const d = result?.delivery;
  if (d && d.status !== 200) {
    toast(d.url ? `Webhook 送信に失敗しました（${d.status ?? d.error}）` : "Webhook URL が設定されていません");
  }
}

// ---- citizen actions -------------------------------------------------------------------------
async function userAction(payload) {
  if (!state.user) return;
  clearQuickReplies();
  try {
    checkDelivery(await api(`/linesim/api/users/${state.user}/actions`, { method: "POST", json: payload }));
  } catch (err) {
    toast(`送信できませんでした: ${err.message}`);
  }
}

const sendText = (text) => userAction({ type: "text", text });

async function sendImage(file) {
  if (!file || !state.user) return;
  clearQuickReplies();
  try {
    const result = await api(`/linesim/api/users/${state.user}/images`, {
      method: "POST", body: file, headers: { "Content-Type": file.type || "image/jpeg" },
    });
    checkDelivery(result);
  } catch (err) {
    toast(`画像を送信できませんでした: ${err.message}`);
  }
}

/** Runs a tapped action (quick reply, template/Flex button, rich-menu area), as the LINE app does. */
function act(action) {
  if (!action) return;
  switch (action.type) {
    case "message": return sendText(action.text);
    case "postback": {
      const payload = { type: "postback", data: action.data || "", displayText: action.displayText || action.text };
      if (action.inputOption === "openKeyboard") {
        $("message-input").value = action.fillInText || "";
        $("message-input").focus();
        updateSend();
      }
      if (action.inputOption === "openRichMenu") richMenu.setOpen(true);
      if (action.inputOption === "closeRichMenu") richMenu.setOpen(false);
      return userAction(payload);
    }
    case "uri": return openUri(action.uri);
    case "datetimepicker": return openDatetime(action);
    case "camera":
    case "cameraRoll": $("image-input").click(); return undefined;
    case "location": $("location-dialog").showModal(); return undefined;
    case "richmenuswitch": return userAction({ type: "richmenuswitch", richMenuAliasId: action.richMenuAliasId, data: action.data || "" });
    case "clipboard":
      navigator.clipboard?.writeText(action.clipboardText || "").then(() => toast("コピーしました"), () => {});
      return undefined;
    default: toast(`未対応のアクション: ${action.type}`); return undefined;
  }
}

/** A URI action: a LIFF app of the channel opens with an ID token for this citizen (linesim issues
 * it, as LINE does for liff.getIDToken()); any other address opens as it is. A new tab stands in
 * for LINE's LIFF browser (the pages refuse to be framed). */
async function openUri(uri) {
  let url = uri;
  if (state.user) {
    try {
      url = (await api(`/linesim/api/users/${state.user}/liff`, { method: "POST", json: { uri } })).url || uri;
    } catch (err) {
      toast(`ページを開けませんでした: ${err.message}`);
      return;
    }
  }
  window.open(url, "_blank", "noopener");
}

const richMenu = new RichMenuView($("richmenu"), $("richmenu-toggle"), act);

// ---- datetime picker -------------------------------------------------------------------------
let pendingPicker = null;
function openDatetime(action) {
  pendingPicker = action;
  const input = $("datetime-input");
  const mode = action.mode || "datetime";
  input.type = mode === "datetime" ? "datetime-local" : mode;
  input.value = action.initial || "";
  input.min = action.min || "";
  input.max = action.max || "";
  $("datetime-title").textContent = { date: "日付を選択", time: "時刻を選択", datetime: "日時を選択" }[mode];
  $("datetime-dialog").showModal();
}

$("datetime-submit").addEventListener("click", () => {
  const action = pendingPicker;
  const value = $("datetime-input").value;
  if (!action || !value) return;
  $("datetime-dialog").close();
  pendingPicker = null;
  const key = action.mode === "datetime" || !action.mode ? "datetime" : action.mode;
  userAction({ type: "postback", data: action.data || "", params: { [key]: value } });
});

// ---- timeline --------------------------------------------------------------------------------
function clearQuickReplies() { $("quick-replies").replaceChildren(); }

function showQuickReplies(entry) {
  clearQuickReplies();
  const items = entry?.sender === "bot" ? entry.message.quickReply?.items || [] : [];
  items.forEach((item, index) => {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.testid = "quick-reply";
    button.dataset.index = String(index);
    if (item.imageUrl) {
      const icon = document.createElement("img");
      icon.src = item.imageUrl;
      icon.alt = "";
      button.append(icon);
    }
    button.append(item.action?.label || "");
    button.addEventListener("click", () => act(item.action));
    $("quick-replies").append(button);
  });
}

function addEntry(entry) {
  const list = $("messages");
  removeTyping();
  const row = renderRow(entry.message, act, { sender: entry.sender, initial: $("bot-name").textContent || "B",
    time: timeFormat.format(new Date(entry.timestamp * 1000)) });
  row.dataset.testid = entry.sender === "bot" ? "bot-message" : "user-message";
  row.dataset.seq = String(entry.seq);
  list.append(row);
  state.lastEntry = entry;
  showQuickReplies(entry);
  list.scrollTop = list.scrollHeight;
}

function removeTyping() { document.querySelector("[data-testid=typing]")?.remove(); }

function showTyping(on) {
  removeTyping();
  if (!on) return;
  const row = document.createElement("div");
  row.className = "row bot";
  row.dataset.testid = "typing";
  row.innerHTML = '<div class="avatar"></div><div class="bubble"><span class="typing"><i></i><i></i><i></i></span></div>';
  $("messages").append(row);
  setTimeout(removeTyping, 20000);
}

function connect() {
  state.stream?.close();
  $("messages").replaceChildren();
  clearQuickReplies();
  richMenu.show(null);
  if (!state.user) return;
  const url = new URL(`/linesim/api/users/${state.user}/stream`, location.origin);
  url.searchParams.set("channel", state.channel);
  const stream = new EventSource(url);
  stream.addEventListener("entry", (e) => addEntry(JSON.parse(e.data)));
  stream.addEventListener("richmenu", (e) => richMenu.show(JSON.parse(e.data)));
  stream.addEventListener("loading", (e) => showTyping(JSON.parse(e.data)));
  stream.addEventListener("open", () => { document.body.dataset.connected = "true"; });
  state.stream = stream;
}

// ---- citizens and channels -------------------------------------------------------------------
function renderUsers() {
  const select = $("user-select");
  select.replaceChildren();
  for (const user of state.users) {
    const option = new Option(user.following ? user.displayName : `${user.displayName}（ブロック中）`, user.userId);
    select.append(option);
  }
  select.append(new Option("＋ 新しい利用者", "__new__"));
  select.value = state.user || "__new__";
  const user = state.users.find((u) => u.userId === state.user);
  $("setup").hidden = Boolean(state.user);
  $("composer").hidden = !state.user;
  $("follow-toggle").hidden = !user;
  $("follow-toggle").textContent = user && !user.following ? "ブロック解除" : "ブロック";
}

async function loadUsers() {
  state.users = (await api("/linesim/api/users")).users;
  // a ?user= link, else the citizen last used on this channel, else the first one
  const wanted = [new URLSearchParams(location.search).get("user"), localStorage.getItem(`linesim.user.${state.channel}`)];
  if (!state.users.some((u) => u.userId === state.user)) {
    state.user = wanted.find((id) => state.users.some((u) => u.userId === id)) || state.users[0]?.userId || null;
  }
  renderUsers();
}

function selectUser(userId) {
  state.user = userId;
  if (userId) localStorage.setItem(`linesim.user.${state.channel}`, userId);
  renderUsers();
  connect();
  if (!userId) $("new-user-name").focus();
}

async function createUser() {
  const name = $("new-user-name").value.trim();
  if (!name) { $("new-user-name").focus(); return; }
  try {
    const user = await api("/linesim/api/users", { method: "POST", json: { displayName: name, follow: true } });
    $("new-user-name").value = "";
    await loadUsers();
    selectUser(user.userId);
  } catch (err) {
    toast(`作成できませんでした: ${err.message}`);
  }
}

async function toggleFollow() {
  const user = state.users.find((u) => u.userId === state.user);
  if (!user) return;
  await userAction({ type: user.following ? "unfollow" : "follow" });
  await loadUsers();
}

async function selectChannel(name, channels) {
  state.channel = name;
  localStorage.setItem("linesim.channel", name);
  const channel = channels.find((c) => c.name === name);
  $("bot-name").textContent = channel?.displayName || name;
  state.user = null;
  await loadUsers();
  connect();
}

// ---- composer and dialogs --------------------------------------------------------------------
function updateSend() { $("send-button").disabled = !$("message-input").value.trim(); }

function setupComposer() {
  $("message-input").addEventListener("input", updateSend);
  $("composer").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("message-input").value;
    if (!text.trim()) return;
    $("message-input").value = "";
    updateSend();
    sendText(text);
  });
  $("image-button").addEventListener("click", () => $("image-input").click());
  $("image-input").addEventListener("change", (e) => {
    sendImage(e.target.files[0]);
    e.target.value = "";
  });
  $("location-button").addEventListener("click", () => $("location-dialog").showModal());
  $("sticker-button").addEventListener("click", () => $("sticker-dialog").showModal());
  $("location-send").addEventListener("click", () => {
    const lat = parseFloat($("location-lat").value);
    const lng = parseFloat($("location-lng").value);
    if (Number.isNaN(lat) || Number.isNaN(lng)) { toast("緯度と経度を入力してください"); return; }
    $("location-dialog").close();
    userAction({ type: "location", latitude: lat, longitude: lng });
  });
  for (const [id, emoji] of STICKERS) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = emoji;
    button.dataset.testid = "sticker-option";
    button.setAttribute("aria-label", `スタンプ ${emoji}`);
    button.addEventListener("click", () => {
      $("sticker-dialog").close();
      userAction({ type: "sticker", packageId: "446", stickerId: id });
    });
    $("sticker-list").append(button);
  }
  for (const dialog of document.querySelectorAll("dialog")) {
    dialog.querySelector("[data-close]")?.addEventListener("click", () => dialog.close());
  }
  $("create-user").addEventListener("click", createUser);
  $("new-user-name").addEventListener("keydown", (e) => { if (e.key === "Enter") createUser(); });
  $("user-select").addEventListener("change", (e) => selectUser(e.target.value === "__new__" ? null : e.target.value));
  $("follow-toggle").addEventListener("click", toggleFollow);
}

function renderPlaces() {
  const list = $("place-list");
  state.places.forEach((place, index) => {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.testid = "place-option";
    button.dataset.index = String(index);
    button.innerHTML = "<b></b><small></small>";
    button.querySelector("b").textContent = place.name;
    button.querySelector("small").textContent = place.address || `${place.latitude}, ${place.longitude}`;
    button.addEventListener("click", () => {
      $("location-dialog").close();
      userAction({ type: "location", latitude: place.latitude, longitude: place.longitude, title: place.name, address: place.address || undefined });
    });
    list.append(button);
  });
}

async function main() {
  setupComposer();
  const { channels, places } = await api("/linesim/api/channels");
  state.places = places;
  renderPlaces();
  const select = $("channel-select");
  for (const c of channels) select.append(new Option(c.displayName || c.name, c.name));
  select.hidden = channels.length < 2;
  // a ?channel= link (the staff console opens the test account so), else the channel last used
  const wanted = [new URLSearchParams(location.search).get("channel"), localStorage.getItem("linesim.channel")];
  const initial = wanted.find((name) => channels.some((c) => c.name === name)) || channels[0].name;
  select.value = initial;
  select.addEventListener("change", () => selectChannel(select.value, channels));
  await selectChannel(initial, channels);
  document.body.dataset.ready = "true";
}

main().catch((err) => toast(`起動できませんでした: ${err.message}`));
