// The shelter staff's phone page (issue #22): sign in with a staff account that may update shelters
// (disaster.shelters), choose the shelter, then set its state and head count in a few taps.
// API calls: POST /auth/login; GET /shelters; PUT /shelters/{facility_id} {state, occupancy}.
import { api, session } from "./api.js";
import { h, field, showError, clearErrors, toast } from "./ui.js";

const STATES = [["open", "開設"], ["crowded", "混雑"], ["full", "満員"], ["closed", "閉鎖"], ["not_open", "未開設"]];
const CHOSEN = "madoguchi.shelter.chosen";
const main = document.getElementById("main");

function signIn(notice) {
  const login = h("input", { name: "login", autocomplete: "username", required: true });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const otp = h("input", { name: "otp", autocomplete: "one-time-code", inputmode: "numeric", maxlength: "16" });
  const otpField = field("確認コード", otp);
  otpField.hidden = true;
  const form = h("form", { class: "signin", novalidate: true },
    h("h1", {}, "避難所の受付 ログイン"),
    notice ? h("p", { class: "notice", role: "status" }, notice) : null,
    h("p", {}, "避難所の状態と避難している人数を更新します。町から受け取ったログインIDとパスワードを入力してください。"),
    field("ログインID", login), field("パスワード", password), otpField,
    h("button", { type: "submit", class: "save" }, "ログイン"));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form);
    const body = { login: login.value, password: password.value };
    if (!otpField.hidden && otp.value.trim()) body.otp = otp.value.trim();
    try {
      const out = await api("POST", "/auth/login", body);
      session.token = out.token;
      await choose();
    } catch (err) {
      if (err.code === "otp_required" || err.code === "otp_wrong") { otpField.hidden = false; showError(form, err); return; }
      showError(form, { message: err.message });
      password.value = "";
    }
  });
  main.replaceChildren(form);
  login.focus();
}

async function choose() {
  let shelters;
  try { shelters = await api("GET", "/shelters"); } catch (err) {
    if (err.status === 401) { session.token = null; signIn(); return; }
    main.replaceChildren(h("p", { class: "field-error", role: "alert" }, err.message)); return;
  }
  const remembered = Number(localStorage.getItem(CHOSEN));
  const picked = shelters.find((s) => s.facility_id === remembered);
  if (picked) { show(picked, shelters); return; }
  const select = h("select", { name: "shelter", id: "shelter-select" },
    shelters.map((s) => h("option", { value: String(s.facility_id) }, s.name)));
  const form = h("form", {}, h("h1", {}, "担当の避難所を選ぶ"), field("避難所", select),
    h("button", { type: "submit", class: "save" }, "この避難所を担当する"));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    localStorage.setItem(CHOSEN, select.value);
    show(shelters.find((s) => String(s.facility_id) === select.value), shelters);
  });
  main.replaceChildren(form);
}

function show(shelter, shelters) {
  const count = h("input", { type: "number", name: "occupancy", id: "occupancy", min: "0", max: "100000",
    inputmode: "numeric", value: String(shelter.occupancy) });
  const step = (n) => h("button", { type: "button", class: "secondary", "aria-label": `${n > 0 ? n + "人増やす" : -n + "人減らす"}`,
    onclick: () => { count.value = String(Math.max(0, (Number(count.value) || 0) + n)); } }, n > 0 ? `+${n}` : `${n}`);
  const states = h("fieldset", { class: "states" }, h("legend", {}, "状態"),
    STATES.map(([value, label]) => h("label", {},
      h("input", { type: "radio", name: "state", value, checked: value === shelter.state }), h("span", {}, label))));
  const updated = h("p", { class: "updated", id: "updated" }, `最終更新：${new Date(shelter.updated_at).toLocaleString("ja-JP")}`);
  const form = h("form", {},
    h("h1", {}, shelter.name),
    h("p", {}, `収容人数 ${shelter.capacity}人` + (shelter.kind_labels.length ? `（${shelter.kind_labels.join("・")}）` : "")),
    states,
    h("label", { for: "occupancy" }, "いま避難している人数"),
    h("div", { class: "counter" }, step(-10), step(-1), count, step(1), step(10)),
    h("button", { type: "submit", class: "save" }, "保存する"), updated,
    shelters.length > 1 ? h("p", {}, h("button", { type: "button", class: "secondary", onclick: () => {
      localStorage.removeItem(CHOSEN); choose();
    } }, "担当の避難所を変える")) : null);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const state = form.querySelector('input[name="state"]:checked').value;
    try {
      const out = await api("PUT", `/shelters/${shelter.facility_id}`, { state, occupancy: Number(count.value) || 0 });
      Object.assign(shelter, out);
      updated.textContent = `最終更新：${new Date(out.updated_at).toLocaleString("ja-JP")}`;
      toast(`${out.state_label}・${out.occupancy}人で保存しました。`);
    } catch (err) {
      if (err.status === 401) { session.token = null; signIn("ログインの有効期限が切れました。もう一度ログインしてください。"); return; }
      toast(err.message, "error");
    }
  });
  main.replaceChildren(form);
}

if (session.token) choose(); else signIn();
