// 窓口: open a resident's QR code with the staff member's token; print the checklist.
"use strict";
(function () {
  const config = JSON.parse(document.getElementById("config").textContent);
  const $ = (id) => document.getElementById(id);
  const KEY = "madoguchi.staffToken";
  const cell = (text) => { const td = document.createElement("td"); td.textContent = text; return td; };

  const withPassword = Boolean(config.loginUrl);
  $("password-login").hidden = !withPassword;
  $("token-login").hidden = withPassword;
  $("staff-token").value = sessionStorage.getItem(KEY) || "";
  const showLoggedIn = () => {
    $("login-status").textContent = sessionStorage.getItem(KEY) ? "ログインしています。" : "";
  };
  showLoggedIn();
  $("login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("login-error").textContent = "";
    if (!withPassword) {
      sessionStorage.setItem(KEY, $("staff-token").value.trim());
      showLoggedIn();
      $("qr-text").focus();
      return;
    }
    try {
      const response = await fetch(config.loginUrl, {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ login: $("staff-login").value.trim(), password: $("staff-password").value }),
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        $("login-error").textContent = (body.error && body.error.message) || "ログインできませんでした。";
        return;
      }
      sessionStorage.setItem(KEY, body.token);
      $("staff-password").value = "";
      showLoggedIn();
      $("qr-text").focus();
    } catch (err) {
      $("login-error").textContent = "通信できませんでした。しばらくしてからもう一度お試しください。";
    }
  });
  $("logout").addEventListener("click", () => {
    sessionStorage.removeItem(KEY); $("staff-token").value = ""; showLoggedIn(); clearTicket();
  });
  $("clear").addEventListener("click", () => { $("qr-text").value = ""; $("qr-image").value = ""; clearTicket(); });
  $("print").addEventListener("click", () => window.print());

  function clearTicket() {
    $("ticket").hidden = true;
    for (const id of ["t-addresses", "t-summary"]) $(id).replaceChildren();
    for (const id of ["t-people", "t-procedures"]) $(id).querySelector("tbody").replaceChildren();
    $("scan-error").textContent = "";
  }

  $("scan-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearTicket();
    const token = sessionStorage.getItem(KEY) || $("staff-token").value.trim();
    const headers = { "Authorization": "Bearer " + token };
    let body;
    const file = $("qr-image").files[0];
    if (file) {
      body = new FormData();
      body.append("image", file);
      if ($("qr-text").value.trim()) body.append("text", $("qr-text").value);
    } else {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify({ texts: $("qr-text").value.split(/\r?\n/) });
    }
    const res = await fetch(config.base + "/counter/api/open", { method: "POST", headers, body });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) { $("scan-error").textContent = (data.error && data.error.message) || "読み取れませんでした。"; return; }
    show(data);
  });

  function show(t) {
    $("t-title").textContent = `${t.event.title}（手続きナビ事前申請）`;
    $("t-issued").textContent = `発行: ${t.issued_at}　照会番号（操作ログの対象ID）: ${t.reference}`;
    $("t-stale").hidden = !t.stale;
    const addresses = $("t-addresses");
    if (t.household) {
      for (const a of t.household.addresses) {
        const p = document.createElement("p");
        p.textContent = `${a.label}: ${a.postal_code ? "〒" + a.postal_code + " " : ""}${a.text}`;
        addresses.append(p);
      }
      const body = $("t-people").querySelector("tbody");
      for (const p of t.household.people) {
        const tr = document.createElement("tr");
        tr.append(cell(p.relationship), cell(p.name), cell(p.kana), cell(`${p.birth_date}（${p.age}歳）`), cell(p.sex));
        body.append(tr);
      }
    }
    const procs = $("t-procedures").querySelector("tbody");
    for (const r of t.procedures) {
      const tr = document.createElement("tr");
      tr.append(cell("□"), cell(r.name + (r.form ? `\n届書: ${r.form}` : "")), cell(r.place),
        cell([r.deadline, ...(r.bring || []).map((b) => "・" + b), ...(r.notes || []).map((n) => "※" + n)].filter(Boolean).join("\n")));
      tr.firstChild.className = "check";
      for (const td of tr.children) td.style.whiteSpace = "pre-line";
      procs.append(tr);
    }
    const dl = $("t-summary");
    for (const s of t.summary) {
      const dt = document.createElement("dt"); dt.textContent = s.question;
      const dd = document.createElement("dd"); dd.textContent = s.answer;
      dl.append(dt, dd);
    }
    $("ticket").hidden = false;
    $("t-title").focus && $("ticket").scrollIntoView();
  }
})();
