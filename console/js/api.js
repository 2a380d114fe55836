// Every call to the admin API goes through here: the bearer token, JSON, and errors as ApiError.
export const BASE = "/admin/api/v1";
const KEY = "madoguchi.console.token";

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `通信に失敗しました（${status}）。しばらくしてからもう一度お試しください。`);
    this.status = status; this.code = e.code || ""; this.field = e.field || null;
    this.body = body;  // the whole answer (a 428 confirmation carries what it asks about)
  }
}

export const session = {
  get token() { return sessionStorage.getItem(KEY); },
  set token(v) {
    if (v) { sessionStorage.setItem(KEY, v); this.closed = false; } else sessionStorage.removeItem(KEY);
  },
  // After ログアウト nothing more is sent until the next sign-in (a page's late timer, say).
  closed: false,
  onExpired: () => {},
};

// Calls on their way: ログアウト waits for them, so a save in progress is not cut off by it.
const pending = new Set();
export async function settle(ms = 5000) {
  await Promise.race([Promise.allSettled([...pending]), new Promise((r) => setTimeout(r, ms))]);
}

// A Blob body (an image) is sent as it is, with its type; with `contentType`, `body` (a File, Blob or
// string: an image, a CSV) is sent as it is with that type. A FormData body goes as multipart/form-data
// (the browser sets the boundary). An image answer comes back as a Blob.
export async function api(method, path, body, contentType) {
  const headers = { Accept: "application/json" };
  const token = session.token;
  const raw = body instanceof Blob;
  const multipart = body instanceof FormData;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined && !multipart) headers["Content-Type"] = contentType || (raw ? body.type : "application/json");
  const payload = body === undefined || raw || multipart || contentType ? body : JSON.stringify(body);
  if (session.closed && !path.startsWith("/auth/login") && path !== "/auth/logout") {
    throw new ApiError(401, { error: { message: "ログアウトしました。もう一度ログインしてください。" } });
  }
  let res;
  const call = fetch(BASE + path, { method, headers, body: payload });
  pending.add(call);
  try {
    res = await call;
  } catch {
    throw new ApiError(0, { error: { message: "サーバーに接続できません。ネットワークをご確認ください。" } });
  } finally {
    pending.delete(call);
  }
  const image = res.ok && (res.headers.get("Content-Type") || "").startsWith("image/");
  const data = res.status === 204 ? null : image ? await res.blob() : await res.json().catch(() => null);
  // Only the token this call used expires: a late answer to a call made before a new sign-in
  // must not sign the new session out.
  if (res.status === 401 && token && token === session.token && path !== "/auth/login") {
    session.token = null;
    session.onExpired();
  }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

// A CSV (or other file) download with the token: fetched, then saved through a blob link.
export async function download(path, filename) {
  const res = await fetch(BASE + path, { headers: { Authorization: `Bearer ${session.token}` } });
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
  const url = URL.createObjectURL(await res.blob());
  const a = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
