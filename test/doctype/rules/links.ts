/**
 * Link, Table, Table MultiSelect and Dynamic Link options, after doctype.py
 * `check_link_table_options`, `check_child_table_option`, `check_table_multiselect_option`
 * and `check_dynamic_link_options`.
 */
import { core } from "../core-names";
import type { DocTypeJson, Issue, ValidationContext } from "../types";
import { issue } from "./issue";

interface Target {
  istable: boolean;
  /** Field types of the target, when known (app DocTypes only). */
  fieldtypes?: string[];
}

/** Resolves a DocType name the app may point at: its own, Frappe's, or ERPNext's if required. */
export function resolveDocType(name: string, ctx: ValidationContext): Target | string {
  const own = ctx.appDocTypes.get(name);
  if (own) return { istable: Boolean(own.istable), fieldtypes: (own.fields ?? []).map((f) => f.fieldtype ?? "") };
  const frappe = core.frappeDocTypes.get(name);
  if (frappe) return { istable: frappe.istable };
  const erpnext = core.erpnextDocTypes.get(name);
  if (erpnext) {
    return ctx.requiredApps.has("erpnext")
      ? { istable: erpnext.istable }
      : `"${name}" is an ERPNext DocType; add "erpnext" to required_apps in hooks.py or link to a Frappe/app DocType (sites without ERPNext would break)`;
  }
  return `"${name}" is not a DocType of this app, Frappe or ERPNext (names are case-sensitive)`;
}

export function checkLinks(doc: DocTypeJson, name: string, ctx: ValidationContext, out: Issue[]): void {
  const at = issue(ctx, name);
  const fields = doc.fields ?? [];
  for (const f of fields) {
    const fieldname = f.fieldname ?? "";
    if (f.fieldtype === "Link" || (f.fieldtype && core.tableFields.has(f.fieldtype))) {
      const options = (f.options ?? "").trim();
      if (!options) {
        out.push(at("link-options", `Set "options" of ${f.fieldtype} "${fieldname}" to the DocType it points at.`, fieldname));
        continue;
      }
      // check_link_table_options accepts "[Select]" and the DocType itself without lookup.
      if (options === "[Select]" || options === name) {
        if (f.fieldtype !== "Link" && options === name) {
          out.push(at("table-not-child", `${f.fieldtype} "${fieldname}" cannot hold its own DocType; point it at a child (istable) DocType.`, fieldname));
        }
        continue;
      }
      const target = resolveDocType(options, ctx);
      if (typeof target === "string") {
        out.push(at("unknown-link-target", `Fix options of ${f.fieldtype} "${fieldname}": ${target}.`, fieldname));
        continue;
      }
      if (f.fieldtype !== "Link" && !target.istable) {
        out.push(at("table-not-child", `${f.fieldtype} "${fieldname}" points at "${options}", which is not a child table; set "istable": 1 on it or use a Link.`, fieldname));
      }
      if (f.fieldtype === "Table MultiSelect" && target.fieldtypes && !target.fieldtypes.includes("Link")) {
        out.push(at("table-multiselect-no-link", `Table MultiSelect "${fieldname}": give child "${options}" a Link field; the widget picks values through it.`, fieldname));
      }
    }
    if (f.fieldtype === "Dynamic Link") {
      const pointer = fields.find((p) => p.fieldname && p.fieldname === f.options);
      // Frappe accepts a Link to "DocType" or a Select whose options are DocType names.
      const ok = pointer && ((pointer.fieldtype === "Link" && pointer.options === "DocType") || pointer.fieldtype === "Select");
      if (!ok) {
        out.push(at("dynamic-link-options", `Set options of Dynamic Link "${fieldname}" to the fieldname of a Link field (options "DocType") in this DocType; "${f.options ?? ""}" is not one.`, fieldname));
      }
    }
  }
}
