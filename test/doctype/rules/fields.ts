/**
 * Field-level rules, after frappe/core/doctype/doctype/doctype.py `validate_fields` and
 * `scrub_field_names`, and frappe/database/schema.py `validate_column_name/length`.
 */
import { core } from "../core-names";
import type { DocField, DocTypeJson, Issue, ValidationContext } from "../types";
import { issue } from "./issue";

// Stricter than schema.py's special-character check on purpose: lower snake case is what
// Frappe generates from labels, and anything else breaks `doc.<fieldname>` or SQL quoting.
const FIELDNAME_PATTERN = /^[a-z][a-z0-9_]*$/;
const MAX_FIELDNAME_LENGTH = 64; // schema.py validate_column_length (MariaDB column name)
// doctype.py check_unique_and_text: only these can carry a single-column unique index.
const UNIQUE_FIELDTYPES = new Set(["Data", "Link", "Read Only", "Int"]);
// doctype.py check_unique_and_text: these are TEXT columns and cannot be indexed.
const TEXT_FIELDTYPES = new Set(["Text", "Long Text", "Small Text", "Code", "Text Editor"]);
const LAYOUT_FIELDTYPES = new Set(["Section Break", "Column Break", "Tab Break"]);

export function hasValue(f: DocField): boolean {
  return f.fieldtype !== undefined && !core.noValueFields.has(f.fieldtype);
}

export function checkFields(doc: DocTypeJson, name: string, ctx: ValidationContext, out: Issue[]): void {
  const at = issue(ctx, name);
  const fields = doc.fields ?? [];
  const seen = new Map<string, number>();
  fields.forEach((f, i) => {
    const row = `fields[${i}]`;
    if (!f.fieldtype || !core.fieldtypes.has(f.fieldtype)) {
      out.push(at("unknown-fieldtype", `${row}: set fieldtype to a Frappe v15 type (Data, Link, Select, Table, …); "${f.fieldtype ?? ""}" is not one.`, f.fieldname));
    }
    if (!f.fieldname) {
      // scrub_field_names derives names for layout fields only; other fields must name their column.
      if (!LAYOUT_FIELDTYPES.has(f.fieldtype ?? "")) {
        out.push(at("missing-fieldname", `${row} (${f.label ?? f.fieldtype ?? "unlabelled"}): add a "fieldname".`));
      }
      return;
    }
    checkFieldname(f.fieldname, row, at, out);
    seen.set(f.fieldname, (seen.get(f.fieldname) ?? 0) + 1);
    checkFieldOptions(f, doc, at, out);
  });
  for (const [fieldname, count] of seen) {
    if (count > 1) out.push(at("duplicate-fieldname", `Fieldname "${fieldname}" appears ${count} times; give each field its own fieldname.`, fieldname));
  }
  checkFieldOrder(doc, fields, at, out);
}

function checkFieldname(fieldname: string, row: string, at: ReturnType<typeof issue>, out: Issue[]): void {
  if (!FIELDNAME_PATTERN.test(fieldname) || fieldname.length > MAX_FIELDNAME_LENGTH) {
    out.push(at("invalid-fieldname", `${row}: rename "${fieldname}" to lower snake case (a-z, 0-9, _; starting with a letter; at most ${MAX_FIELDNAME_LENGTH} characters).`, fieldname));
  }
  const reserved = core.reservedFieldnames.get(fieldname);
  if (reserved) {
    out.push(at("reserved-fieldname", `${row}: rename "${fieldname}"; it is ${reserved}.`, fieldname));
  }
}

function checkFieldOptions(f: DocField, doc: DocTypeJson, at: ReturnType<typeof issue>, out: Issue[]): void {
  const fieldname = f.fieldname ?? "";
  // doctype.py check_illegal_mandatory
  if (f.reqd && f.fieldtype && core.noValueFields.has(f.fieldtype) && !core.tableFields.has(f.fieldtype)) {
    out.push(at("illegal-mandatory", `Remove "reqd" from "${fieldname}": a ${f.fieldtype} holds no value.`, fieldname));
  }
  // doctype.py check_illegal_default
  if (f.fieldtype === "Select" && f.default !== undefined && f.default !== "") {
    const options = (f.options ?? "").split("\n").map((o) => o.trim());
    if (!options.includes(String(f.default))) {
      out.push(at("invalid-default", `Default "${f.default}" of Select "${fieldname}" is not among its options (${options.filter(Boolean).join(", ")}); add it or change the default.`, fieldname));
    }
  }
  if (f.fieldtype === "Check" && f.default !== undefined && !["0", "1", ""].includes(String(f.default))) {
    out.push(at("invalid-default", `Default of Check "${fieldname}" must be 0 or 1 (found "${f.default}").`, fieldname));
  }
  // doctype.py check_unique_and_text (Singles have no table, Frappe drops unique there)
  if (f.unique && !doc.issingle && f.fieldtype && !UNIQUE_FIELDTYPES.has(f.fieldtype)) {
    out.push(at("unique-fieldtype", `Remove "unique" from "${fieldname}" or make it Data/Link/Int/Read Only: a ${f.fieldtype} cannot be unique; for composite uniqueness use frappe.db.add_unique in on_doctype_update.`, fieldname));
  }
  if (f.search_index && f.fieldtype && TEXT_FIELDTYPES.has(f.fieldtype)) {
    out.push(at("index-on-text", `Remove "search_index" from "${fieldname}": a ${f.fieldtype} column cannot be indexed.`, fieldname));
  }
}

/** field_order is what the form shows and the export rewrites; it must list every field once. */
function checkFieldOrder(doc: DocTypeJson, fields: DocField[], at: ReturnType<typeof issue>, out: Issue[]): void {
  const names = fields.map((f) => f.fieldname).filter((n): n is string => Boolean(n));
  if (names.length === 0 && !doc.field_order?.length) return;
  const order = doc.field_order ?? [];
  const missing = names.filter((n) => !order.includes(n));
  const unknown = order.filter((n) => !names.includes(n));
  const repeated = order.filter((n, i) => order.indexOf(n) !== i);
  if (missing.length || unknown.length || repeated.length) {
    const parts = [
      missing.length ? `add ${missing.join(", ")}` : "",
      unknown.length ? `remove ${unknown.join(", ")} (no such field)` : "",
      repeated.length ? `list ${[...new Set(repeated)].join(", ")} once` : "",
    ].filter(Boolean);
    out.push(at("field-order", `Make field_order list each fieldname of "fields" exactly once: ${parts.join("; ")}.`));
  }
}
