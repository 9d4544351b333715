/**
 * Loads test/fixtures/core-names.json (written by generate-core-names.ts from Frappe v15 and
 * ERPNext sources) and exposes it as lookup sets.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CoreDocType } from "./types";

interface AppNames {
  modules: string[];
  workspaces: string[];
  doctypes: CoreDocType[];
  roles: string[];
}

interface CoreNamesFile {
  frappe: AppNames;
  erpnext: AppNames;
  model: {
    fieldtypes: string[];
    no_value_fields: string[];
    table_fields: string[];
    naming_rules: string[];
    autoname_forms: { exact: string[]; prefixes: string[] };
    reserved_fieldnames: Record<string, string[]>;
    automatic_roles: string[];
  };
}

export interface CoreNames {
  frappeDocTypes: ReadonlyMap<string, CoreDocType>;
  erpnextDocTypes: ReadonlyMap<string, CoreDocType>;
  modules: ReadonlyMap<string, "Frappe" | "ERPNext">;
  workspaces: ReadonlyMap<string, "Frappe" | "ERPNext">;
  roles: ReadonlySet<string>;
  fieldtypes: ReadonlySet<string>;
  noValueFields: ReadonlySet<string>;
  tableFields: ReadonlySet<string>;
  namingRules: ReadonlySet<string>;
  autonameExact: ReadonlySet<string>;
  autonamePrefixes: readonly string[];
  /** fieldname → why it is reserved. */
  reservedFieldnames: ReadonlyMap<string, string>;
}

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "core-names.json");

// Which Frappe list makes a fieldname reserved, in the words an issue message uses.
const RESERVED_REASONS: Record<string, string> = {
  default_fields: "a standard column of every DocType (frappe/model/__init__.py default_fields)",
  child_table_fields: "a child-table column (frappe/model/__init__.py child_table_fields)",
  optional_fields: "an optional standard column (frappe/model/__init__.py optional_fields)",
  restricted: "restricted by doctype.py scrub_field_names",
  reserved_keywords: "a BaseDocument reserved keyword (frappe/model/base_document.py)",
  python_keywords: "a Python keyword, unusable as doc.<fieldname> in controllers",
  document_methods: "a Document method/property it would shadow (doctype.py validate_field_name_conflicts)",
};

function load(): CoreNames {
  const data = JSON.parse(readFileSync(FIXTURE, "utf8")) as CoreNamesFile;
  const byName = (list: CoreDocType[]): Map<string, CoreDocType> => new Map(list.map((d) => [d.name, d]));
  const tagged = (frappe: string[], erpnext: string[]): Map<string, "Frappe" | "ERPNext"> =>
    new Map([
      ...erpnext.map((n) => [n, "ERPNext"] as const),
      ...frappe.map((n) => [n, "Frappe"] as const),
    ]);
  const reserved = new Map<string, string>();
  for (const [list, names] of Object.entries(data.model.reserved_fieldnames)) {
    for (const n of names) if (!reserved.has(n)) reserved.set(n, RESERVED_REASONS[list] ?? list);
  }
  return {
    frappeDocTypes: byName(data.frappe.doctypes),
    erpnextDocTypes: byName(data.erpnext.doctypes),
    modules: tagged(data.frappe.modules, data.erpnext.modules),
    workspaces: tagged(data.frappe.workspaces, data.erpnext.workspaces),
    roles: new Set([...data.model.automatic_roles, ...data.frappe.roles, ...data.erpnext.roles]),
    fieldtypes: new Set(data.model.fieldtypes),
    noValueFields: new Set(data.model.no_value_fields),
    tableFields: new Set(data.model.table_fields),
    namingRules: new Set(data.model.naming_rules),
    autonameExact: new Set(data.model.autoname_forms.exact),
    autonamePrefixes: data.model.autoname_forms.prefixes,
    reservedFieldnames: reserved,
  };
}

export const core: CoreNames = load();

/** frappe.scrub (frappe/__init__.py): "Sales Order" → "sales_order". */
export function scrub(text: string): string {
  return text.replaceAll(" ", "_").replaceAll("-", "_").toLowerCase();
}

/** frappe/desk/utils.py slug: the /app/<slug> route of a DocType, Page or Workspace. */
export function slug(name: string): string {
  return name.toLowerCase().replaceAll(" ", "-");
}
