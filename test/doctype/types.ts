/** Shapes shared by the DocType validator. JSON keys keep Frappe's spelling. */

export interface Issue {
  /** Path of the offending file, relative to the app root. */
  file: string;
  /** DocType (or Workspace / module) name the issue is about; "" when the file has none. */
  doctype: string;
  field?: string;
  rule: RuleId;
  /** Says what to change. */
  message: string;
}

export type RuleId =
  | "invalid-json"
  | "not-a-doctype"
  | "missing-name"
  | "missing-module"
  | "modules-txt"
  | "unknown-module"
  | "path-mismatch"
  | "invalid-name"
  | "duplicate-doctype"
  | "core-collision"
  | "route-conflict"
  | "unknown-fieldtype"
  | "missing-fieldname"
  | "invalid-fieldname"
  | "reserved-fieldname"
  | "duplicate-fieldname"
  | "field-order"
  | "illegal-mandatory"
  | "link-options"
  | "unknown-link-target"
  | "table-not-child"
  | "table-multiselect-no-link"
  | "child-with-permissions"
  | "child-unused"
  | "dynamic-link-options"
  | "invalid-default"
  | "unique-fieldtype"
  | "index-on-text"
  | "missing-permissions"
  | "permission-role"
  | "permission-rights"
  | "permission-duplicate"
  | "invalid-autoname"
  | "naming-rule-mismatch"
  | "unknown-field-reference"
  | "submittable-single"
  | "secret-not-password"
  | "workspace-link";

export interface DocField {
  fieldname?: string;
  fieldtype?: string;
  label?: string;
  options?: string;
  default?: string | number;
  reqd?: number;
  hidden?: number;
  unique?: number;
  search_index?: number;
}

export interface DocPerm {
  role?: string;
  permlevel?: number;
  if_owner?: number;
  select?: number;
  read?: number;
  write?: number;
  create?: number;
  delete?: number;
  submit?: number;
  cancel?: number;
  amend?: number;
  import?: number;
}

/** The subset of a DocType JSON (frappe/core/doctype/doctype/doctype.json) the rules read. */
export interface DocTypeJson {
  doctype?: unknown;
  name?: unknown;
  module?: unknown;
  fields?: DocField[];
  field_order?: string[];
  permissions?: DocPerm[];
  autoname?: string;
  naming_rule?: string;
  istable?: number;
  issingle?: number;
  is_submittable?: number;
  allow_import?: number;
  title_field?: string;
  search_fields?: string;
  sort_field?: string;
  image_field?: string;
  timeline_field?: string;
}

export interface CoreDocType {
  name: string;
  module: string;
  istable: boolean;
  issingle: boolean;
}

/** What the rules know about the app being validated and about Frappe/ERPNext core. */
export interface ValidationContext {
  /** File being validated, relative to the app root (used in issues). */
  file: string;
  /** Path of the DocType JSON relative to the app's Python package, e.g. "integrations_app/doctype/x/x.json". */
  packagePath: string;
  appModules: ReadonlySet<string>;
  /** Every DocType the app ships, by name. */
  appDocTypes: ReadonlyMap<string, DocTypeJson>;
  /** Roles the app creates (see app.ts: appRoles). */
  appRoles: ReadonlySet<string>;
  /** The app's hooks.py `required_apps`: ERPNext DocTypes are only linkable when it lists "erpnext". */
  requiredApps: ReadonlySet<string>;
}
