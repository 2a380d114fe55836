// What the FAQ and garbage-dictionary pages share: a file upload (CSV, multipart) and lines ⇄ lists.
import { BASE, ApiError, session } from "../api.js";

export const lines = (text) => text.split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
export const when = (iso) => new Date(iso).toLocaleString("ja-JP");
// who changed it: "content" is the town's files the database was seeded from
export const byWhom = (name) => (name === "content" ? "初期データ" : name || "—");

// POST a FormData (multipart/form-data) or a File as it is; the JSON answer, or an ApiError.
export async function upload(path, body, contentType) {
  const headers = { Accept: "application/json", Authorization: `Bearer ${session.token}` };
  if (contentType) headers["Content-Type"] = contentType;
  let res;
  try {
    res = await fetch(BASE + path, { method: "POST", headers, body });
  } catch {
    throw new ApiError(0, { error: { message: "サーバーに接続できません。ネットワークをご確認ください。" } });
  }
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}
