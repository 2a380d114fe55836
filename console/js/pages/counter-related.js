// Related application forms (関連申請書, 小郡市 spec §(4) c–g, §(5) r, w) made from the open 届書: the
// town's Excel templates this role may fill, with applicant, copies and purpose; each kept as PDF and
// Excel (masked unless the staff member may see 個人番号).
import { api, download } from "../api.js";
import { h, field, showError, clearErrors, toast } from "../ui.js";

export async function relatedForms(f, ctx) {
  const section = h("section", { class: "section", "aria-labelledby": "c-related" }, h("h3", { id: "c-related" }, "関連申請書"));
  const base = `/counter/forms/${f.id}/related`;
  let listed;
  try { listed = await api("GET", base); } catch (err) { section.append(h("p", { class: "field-error", role: "alert" }, err.message)); return section; }
  const made = h("ul", { "aria-live": "polite" });
  const fetchName = (d) => `${d.label}.${d.kind === "related" ? "pdf" : "xlsx"}`;
  const showMade = (docs) => made.replaceChildren(...docs.map((d) => h("li", {}, `${d.label}（${d.kind === "related" ? "PDF" : "Excel"}、${d.created_by}）`,
    " ", h("button", { type: "button", class: "link", onclick: () => download(`${base}/${d.id}`, fetchName(d)).catch((err) => toast(err.message, "error")) },
      `${d.kind === "related" ? "PDF" : "Excel"} を保存`))));
  showMade(listed.made);
  if (ctx.can("counter.write") && listed.templates.length) {
    const template = h("select", { name: "template" }, listed.templates.map((t) => h("option", { value: t.key }, t.title)));
    const applicant = h("select", { name: "applicant" }, f.members.map((m, i) => h("option", { value: String(i) }, `${i + 1}. ${m.name || "（氏名未入力）"}`)));
    const copies = h("input", { name: "copies", type: "number", min: "1", max: "20", value: "1", inputmode: "numeric" });
    const purpose = h("input", { name: "purpose", maxlength: "100" });
    const certificate = () => listed.templates.find((t) => t.key === template.value)?.certificate;
    const sync = () => { copies.disabled = purpose.disabled = !certificate(); };
    template.addEventListener("change", sync); sync();
    const form = h("form", { novalidate: true, class: "toolbar" }, field("様式", template), field("申請者", applicant),
      field("通数", copies), field("使いみち", purpose), h("button", { type: "submit" }, "関連申請書を作る"));
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault(); clearErrors(form);
      try {
        const out = await api("POST", base, { template: template.value, applicant: Number(applicant.value),
          copies: Number(copies.value || 1), purpose: purpose.value });
        toast(`${out.pdf.label} を作りました。`);
        showMade((await api("GET", base)).made);
      } catch (err) { showError(form, err); }
    });
    section.append(h("p", { class: "hint" }, "届書の内容を町の様式に書き写します。作れる様式は職員の役割で決まります。"), form);
  }
  section.append(h("h4", {}, "作成済み"), made);
  return section;
}
