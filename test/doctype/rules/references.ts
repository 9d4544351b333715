/**
 * DocType properties that name fields, after doctype.py `check_title_field`,
 * `check_search_fields`, `check_sort_field`, `check_image_field`, `check_timeline_field`; and
 * `set_defaults_for_single_and_table`, which silently turns off is_submittable on a Single.
 */
import type { DocTypeJson, Issue, ValidationContext } from "../types";
import { hasValue } from "./fields";
import { issue } from "./issue";

// check_sort_field also accepts the standard and child-table columns.
const STANDARD_SORT_FIELDS = new Set(["name", "owner", "creation", "modified", "modified_by", "docstatus", "idx", "parent", "parentfield", "parenttype"]);

export function checkReferences(doc: DocTypeJson, name: string, ctx: ValidationContext, out: Issue[]): void {
  const at = issue(ctx, name);
  const fields = doc.fields ?? [];
  const byName = new Map(fields.filter((f) => f.fieldname).map((f) => [f.fieldname as string, f]));

  if (doc.title_field && !byName.has(doc.title_field)) {
    out.push(at("unknown-field-reference", `title_field "${doc.title_field}" is not a field; point it at an existing field.`));
  }
  for (const s of (doc.search_fields ?? "").split(",").map((x) => x.trim()).filter(Boolean)) {
    const f = byName.get(s);
    if (!f || !hasValue(f)) out.push(at("unknown-field-reference", `search_fields entry "${s}" is not a value field of "${name}"; remove it or fix the fieldname.`));
  }
  for (const s of (doc.sort_field ?? "").split(",").map((x) => x.trim().split(/\s+/)[0] ?? "").filter(Boolean)) {
    if (!byName.has(s) && !STANDARD_SORT_FIELDS.has(s)) out.push(at("unknown-field-reference", `sort_field "${s}" is not a field; use a fieldname or a standard column such as "modified".`));
  }
  if (doc.image_field && byName.get(doc.image_field)?.fieldtype !== "Attach Image") {
    out.push(at("unknown-field-reference", `image_field "${doc.image_field}" must be an Attach Image field of "${name}".`));
  }
  if (doc.timeline_field && !["Link", "Dynamic Link"].includes(byName.get(doc.timeline_field)?.fieldtype ?? "")) {
    out.push(at("unknown-field-reference", `timeline_field "${doc.timeline_field}" must be a Link or Dynamic Link field of "${name}".`));
  }
  if (doc.issingle && doc.is_submittable) {
    out.push(at("submittable-single", `Remove is_submittable from Single "${name}": Frappe turns it off for Singles.`));
  }
  if (doc.issingle && doc.istable) {
    out.push(at("submittable-single", `"${name}" cannot be both Single and a child table; Frappe keeps only Single.`));
  }
}
