import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { readApp } from "./app";
import { scrub } from "./core-names";
import { mentionsSecret } from "./rules/secrets";
import type { DocField, DocTypeJson, Issue } from "./types";
import { validateApp } from "./validator";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

// ---- a throw-away app on disk, laid out like `bench new-app` --------------------------------

const PKG = "demo_app";
const MODULE = "Demo App";

interface TempApp {
  doctypes?: DocTypeJson[];
  /** Raw files relative to the package, written as given (for broken JSON and odd paths). */
  files?: Record<string, string>;
  workspaces?: Record<string, unknown>[];
  modules?: string[];
  hooks?: string;
  python?: string;
}

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

function makeApp(app: TempApp): string {
  const root = mkdtempSync(join(tmpdir(), "doctype-validator-"));
  roots.push(root);
  const pkg = join(root, PKG);
  write(join(pkg, "modules.txt"), (app.modules ?? [MODULE]).join("\n") + "\n");
  write(join(pkg, "hooks.py"), app.hooks ?? `app_name = "${PKG}"\n`);
  write(join(pkg, "roles.py"), app.python ?? `DEMO_MANAGER = "Demo Manager"\n`);
  for (const d of app.doctypes ?? []) {
    const module = typeof d.module === "string" && d.module ? d.module : MODULE;
    const name = typeof d.name === "string" && d.name ? d.name : "nameless";
    write(join(pkg, scrub(module), "doctype", scrub(name), `${scrub(name)}.json`), JSON.stringify(d, null, 1));
  }
  for (const w of app.workspaces ?? []) {
    const name = String(w["name"]);
    write(join(pkg, scrub(String(w["module"] ?? MODULE)), "workspace", scrub(name), `${scrub(name)}.json`), JSON.stringify(w, null, 1));
  }
  for (const [path, text] of Object.entries(app.files ?? {})) write(join(pkg, path), text);
  return root;
}

// ---- valid building blocks ------------------------------------------------------------------

function docType(name: string, fields: DocField[], extra: Partial<DocTypeJson> = {}): DocTypeJson {
  return {
    doctype: "DocType",
    name,
    module: MODULE,
    autoname: "hash",
    naming_rule: "Random",
    fields,
    field_order: fields.map((f) => f.fieldname).filter((n): n is string => Boolean(n)),
    permissions: [{ role: "System Manager", read: 1, write: 1, create: 1, delete: 1 }],
    ...extra,
  };
}

const title: DocField = { fieldname: "title", fieldtype: "Data", label: "Title", reqd: 1 };
const widget = (extra: Partial<DocTypeJson> = {}, fields: DocField[] = [title]): DocTypeJson =>
  docType("Demo Widget", fields, extra);
const child = (name = "Demo Widget Item", extra: Partial<DocTypeJson> = {}): DocTypeJson =>
  docType(name, [{ fieldname: "item", fieldtype: "Link", label: "User", options: "User" }], {
    istable: 1,
    permissions: [],
    autoname: undefined,
    naming_rule: undefined,
    ...extra,
  });
const workspace = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  doctype: "Workspace",
  name,
  label: name,
  module: MODULE,
  links: [{ type: "Link", link_type: "DocType", link_to: "Demo Widget", label: "Demo Widget" }],
  shortcuts: [{ type: "DocType", link_to: "Demo Widget", label: "Widgets" }],
  ...extra,
});

const rulesOf = (issues: Issue[]): string[] => [...new Set(issues.map((i) => i.rule))].sort();

// ---- (a) the app in this repository ---------------------------------------------------------

// The DocTypes of DESIGN.md §2 for the domains built so far (foundation, outbound, inbound,
// streams, sync); OAuth and connections add theirs when they land. Checked so that "zero
// issues" below cannot pass just because the JSON is missing.
const DESIGNED_DOCTYPES = [
  "Integration Settings",
  "Integration Webhook",
  "Integration Webhook Delivery",
  "Integration Inbound Endpoint",
  "Integration Inbound Event",
  "Integration Stream",
  "Integration Stream Connector",
  "Integration Sync Profile",
  "Integration Sync Field Map",
  "Integration Sync Log",
  "Integration Sync Run",
];

describe("integrations_app DocTypes", () => {
  it("ship the DocTypes of DESIGN.md §2 built so far, and the workspace", () => {
    const app = readApp(REPO_ROOT);
    const names = (files: { text: string }[]): string[] =>
      files.flatMap((f) => {
        try {
          return [String((JSON.parse(f.text) as { name?: unknown }).name)];
        } catch {
          return [];
        }
      });
    expect(names(app.doctypeFiles)).toEqual(expect.arrayContaining(DESIGNED_DOCTYPES));
    expect(names(app.workspaceFiles)).toContain("Integrations Hub");
  });

  it("pass every rule", () => {
    expect(validateApp(REPO_ROOT)).toEqual([]);
  });
});

// ---- (c) a valid app passes -----------------------------------------------------------------

describe("a valid minimal app", () => {
  it("has no issues", () => {
    const root = makeApp({
      doctypes: [
        widget({ title_field: "title", search_fields: "title", sort_field: "modified" }, [
          title,
          { fieldname: "code", fieldtype: "Data", label: "Code", unique: 1 },
          { fieldname: "status", fieldtype: "Select", label: "Status", options: "Active\nPaused", default: "Active" },
          { fieldname: "items", fieldtype: "Table", label: "Items", options: "Demo Widget Item" },
          { fieldname: "reference_doctype", fieldtype: "Link", label: "Reference DocType", options: "DocType" },
          { fieldname: "reference_name", fieldtype: "Dynamic Link", label: "Reference", options: "reference_doctype" },
          { fieldname: "signing_secret", fieldtype: "Password", label: "Signing Secret" },
          { fieldname: "secret_prefix", fieldtype: "Data", label: "Secret Prefix" },
          { fieldname: "token_url", fieldtype: "Data", label: "Token URL" },
          { fieldname: "token_expires_at", fieldtype: "Datetime", label: "Token Expires At" },
          { fieldname: "token_hashes", fieldtype: "Small Text", label: "Token Hashes" },
          { fieldname: "secrets_section", fieldtype: "Section Break", label: "Secrets" },
        ]),
        child(),
        docType("Demo Settings", [{ fieldname: "enabled", fieldtype: "Check", label: "Enabled", default: "1" }], {
          issingle: 1,
          autoname: undefined,
          naming_rule: undefined,
          permissions: [{ role: "Demo Manager", read: 1, write: 1 }],
        }),
        docType("Demo Account", [{ fieldname: "account_name", fieldtype: "Data", label: "Account Name", unique: 1 }], {
          autoname: "field:account_name",
          naming_rule: "By fieldname",
        }),
        docType("Demo Log", [title], { autoname: "format:LOG-{YY}-{title}-{#####}", naming_rule: "Expression" }),
      ],
      workspaces: [workspace("Demo Hub")],
    });
    expect(validateApp(root)).toEqual([]);
  });
});

// ---- (b) each broken DocType is caught by exactly its rule ----------------------------------

interface Case {
  name: string;
  app: TempApp;
  rule: string;
  field?: string;
}

const cases: Case[] = [
  { name: "invalid JSON", rule: "invalid-json", app: { files: { "demo_app/doctype/broken/broken.json": '{"doctype": "DocType",' } } },
  { name: "missing doctype key", rule: "not-a-doctype", app: { doctypes: [{ ...widget(), doctype: undefined }] } },
  { name: "missing name", rule: "missing-name", app: { files: { "demo_app/doctype/x/x.json": JSON.stringify({ ...widget(), name: undefined }) } } },
  { name: "missing module", rule: "missing-module", app: { files: { "demo_app/doctype/demo_widget/demo_widget.json": JSON.stringify({ ...widget(), module: undefined }) } } },
  { name: "module not in modules.txt", rule: "unknown-module", app: { doctypes: [widget({ module: "Integrations" })] } },
  { name: "wrong folder", rule: "path-mismatch", app: { files: { "demo_app/doctype/widget/widget.json": JSON.stringify(widget()) } } },
  { name: "wrong file name", rule: "path-mismatch", app: { files: { "demo_app/doctype/demo_widget/widget.json": JSON.stringify(widget()) } } },
  { name: "name longer than 61", rule: "invalid-name", app: { doctypes: [docType("D".repeat(62), [title])] } },
  { name: "name with invalid characters", rule: "invalid-name", app: { doctypes: [docType("1 Demo Widget", [title])] } },
  { name: "Frappe DocType Webhook", rule: "core-collision", app: { doctypes: [docType("Webhook", [title])] } },
  { name: "Frappe DocType OAuth Provider Settings", rule: "core-collision", app: { doctypes: [docType("OAuth Provider Settings", [title])] } },
  { name: "ERPNext DocType Sales Invoice", rule: "core-collision", app: { doctypes: [docType("Sales Invoice", [title])] } },
  { name: "module Integrations", rule: "core-collision", app: { modules: [MODULE, "Integrations"], doctypes: [widget()] } },
  { name: "workspace Integrations", rule: "core-collision", app: { doctypes: [widget()], workspaces: [workspace("Integrations")] } },
  { name: "workspace route = a DocType route", rule: "route-conflict", app: { doctypes: [widget()], workspaces: [workspace("Demo Widget")] } },
  {
    name: "workspace link to unknown DocType",
    rule: "workspace-link",
    app: { doctypes: [widget()], workspaces: [workspace("Demo Hub", { shortcuts: [{ type: "DocType", link_to: "Demo Gadget", label: "Gadgets" }] })] },
  },
  {
    name: "two modules, one DocType name",
    rule: "duplicate-doctype",
    app: { modules: [MODULE, "Demo Extra"], doctypes: [widget(), widget({ module: "Demo Extra" })] },
  },
  { name: "unknown fieldtype", rule: "unknown-fieldtype", field: "title", app: { doctypes: [widget({}, [{ ...title, fieldtype: "Text Area" }])] } },
  { name: "value field without fieldname", rule: "missing-fieldname", app: { doctypes: [widget({ field_order: ["title"] }, [title, { fieldtype: "Data", label: "Nameless" }])] } },
  { name: "fieldname not snake case", rule: "invalid-fieldname", field: "Title", app: { doctypes: [widget({}, [{ ...title, fieldname: "Title" }])] } },
  { name: "reserved fieldname owner", rule: "reserved-fieldname", field: "owner", app: { doctypes: [widget({}, [{ ...title, fieldname: "owner" }])] } },
  { name: "reserved fieldname parent", rule: "reserved-fieldname", field: "parent", app: { doctypes: [widget({}, [{ ...title, fieldname: "parent" }])] } },
  { name: "Python keyword fieldname", rule: "reserved-fieldname", field: "from", app: { doctypes: [widget({}, [{ ...title, fieldname: "from" }])] } },
  { name: "fieldname shadowing Document.save", rule: "reserved-fieldname", field: "save", app: { doctypes: [widget({}, [{ ...title, fieldname: "save" }])] } },
  { name: "duplicate fieldname", rule: "duplicate-fieldname", field: "title", app: { doctypes: [widget({ field_order: ["title"] }, [title, { ...title, label: "Again" }])] } },
  { name: "field_order missing a field", rule: "field-order", app: { doctypes: [widget({ field_order: [] })] } },
  { name: "field_order naming no field", rule: "field-order", app: { doctypes: [widget({ field_order: ["title", "ghost"] })] } },
  { name: "mandatory section break", rule: "illegal-mandatory", app: { doctypes: [widget({}, [title, { fieldname: "main_section", fieldtype: "Section Break", reqd: 1 }])] } },
  { name: "Link without options", rule: "link-options", field: "user", app: { doctypes: [widget({}, [title, { fieldname: "user", fieldtype: "Link", label: "User" }])] } },
  { name: "Link to unknown DocType", rule: "unknown-link-target", field: "gadget", app: { doctypes: [widget({}, [title, { fieldname: "gadget", fieldtype: "Link", label: "Gadget", options: "Demo Gadget" }])] } },
  { name: "Link to ERPNext without required_apps", rule: "unknown-link-target", field: "customer", app: { doctypes: [widget({}, [title, { fieldname: "customer", fieldtype: "Link", label: "Customer", options: "Customer" }])] } },
  { name: "Table of a non-child DocType", rule: "table-not-child", field: "users", app: { doctypes: [widget({}, [title, { fieldname: "users", fieldtype: "Table", label: "Users", options: "User" }])] } },
  {
    name: "Table of an app DocType without istable",
    rule: "table-not-child",
    field: "items",
    app: { doctypes: [widget({}, [title, { fieldname: "items", fieldtype: "Table", label: "Items", options: "Demo Log" }]), docType("Demo Log", [title])] },
  },
  {
    name: "Table MultiSelect child without a Link",
    rule: "table-multiselect-no-link",
    field: "tags",
    app: { doctypes: [widget({}, [title, { fieldname: "tags", fieldtype: "Table MultiSelect", label: "Tags", options: "Demo Tag" }]), docType("Demo Tag", [title], { istable: 1, permissions: [], autoname: undefined, naming_rule: undefined })] },
  },
  {
    name: "child table with permissions",
    rule: "child-with-permissions",
    app: { doctypes: [widget({}, [title, { fieldname: "items", fieldtype: "Table", label: "Items", options: "Demo Widget Item" }]), child("Demo Widget Item", { permissions: [{ role: "System Manager", read: 1 }] })] },
  },
  { name: "child table used nowhere", rule: "child-unused", app: { doctypes: [widget(), child()] } },
  {
    name: "Dynamic Link to a non-DocType Link",
    rule: "dynamic-link-options",
    field: "reference_name",
    app: { doctypes: [widget({}, [title, { fieldname: "user", fieldtype: "Link", label: "User", options: "User" }, { fieldname: "reference_name", fieldtype: "Dynamic Link", label: "Ref", options: "user" }])] },
  },
  { name: "Select default not an option", rule: "invalid-default", field: "status", app: { doctypes: [widget({}, [title, { fieldname: "status", fieldtype: "Select", label: "Status", options: "Active\nPaused", default: "Disabled" }])] } },
  { name: "unique Long Text", rule: "unique-fieldtype", field: "payload", app: { doctypes: [widget({}, [title, { fieldname: "payload", fieldtype: "Long Text", label: "Payload", unique: 1 }])] } },
  { name: "index on Text", rule: "index-on-text", field: "notes", app: { doctypes: [widget({}, [title, { fieldname: "notes", fieldtype: "Text", label: "Notes", search_index: 1 }])] } },
  { name: "no permissions", rule: "missing-permissions", app: { doctypes: [widget({ permissions: [] })] } },
  { name: "Single without permissions", rule: "missing-permissions", app: { doctypes: [widget({ issingle: 1, permissions: [], autoname: undefined, naming_rule: undefined })] } },
  { name: "permission row without role", rule: "permission-role", app: { doctypes: [widget({ permissions: [{ read: 1 }] })] } },
  { name: "permission role nobody creates", rule: "permission-role", app: { doctypes: [widget({ permissions: [{ role: "Demo Managr", read: 1 }] })] } },
  { name: "permission cancel without submit", rule: "permission-rights", app: { doctypes: [widget({ permissions: [{ role: "System Manager", read: 1, write: 1, cancel: 1 }] })] } },
  { name: "permission row twice", rule: "permission-duplicate", app: { doctypes: [widget({ permissions: [{ role: "System Manager", read: 1 }, { role: "System Manager", write: 1 }] })] } },
  { name: "autoname field that does not exist", rule: "invalid-autoname", app: { doctypes: [widget({ autoname: "field:code", naming_rule: "By fieldname" })] } },
  { name: "autoname field not unique", rule: "invalid-autoname", field: "title", app: { doctypes: [widget({ autoname: "field:title", naming_rule: "By fieldname" })] } },
  { name: "autoname nonsense", rule: "invalid-autoname", app: { doctypes: [widget({ autoname: "random", naming_rule: undefined })] } },
  { name: "autoname format with unknown field", rule: "invalid-autoname", app: { doctypes: [widget({ autoname: "format:W-{code}-{#####}", naming_rule: "Expression" })] } },
  { name: "naming_series without the field", rule: "invalid-autoname", app: { doctypes: [widget({ autoname: "naming_series:", naming_rule: 'By "Naming Series" field' })] } },
  { name: "naming_rule disagrees with autoname", rule: "naming-rule-mismatch", app: { doctypes: [widget({ autoname: "hash", naming_rule: "Set by user" })] } },
  { name: "title_field unknown", rule: "unknown-field-reference", app: { doctypes: [widget({ title_field: "subject" })] } },
  { name: "search_fields unknown", rule: "unknown-field-reference", app: { doctypes: [widget({ search_fields: "title,subject" })] } },
  { name: "sort_field unknown", rule: "unknown-field-reference", app: { doctypes: [widget({ sort_field: "subject" })] } },
  { name: "submittable Single", rule: "submittable-single", app: { doctypes: [widget({ issingle: 1, is_submittable: 1, autoname: undefined, naming_rule: undefined })] } },
  { name: "secret in a Data field", rule: "secret-not-password", field: "signing_secret", app: { doctypes: [widget({}, [title, { fieldname: "signing_secret", fieldtype: "Data", label: "Signing Secret" }])] } },
  { name: "refresh token in Small Text", rule: "secret-not-password", field: "refresh_token", app: { doctypes: [widget({}, [title, { fieldname: "refresh_token", fieldtype: "Small Text", label: "Refresh Token" }])] } },
  { name: "API key in Data", rule: "secret-not-password", field: "api_key", app: { doctypes: [widget({}, [title, { fieldname: "api_key", fieldtype: "Data", label: "API Key" }])] } },
  { name: "private key in Code", rule: "secret-not-password", field: "private_key_pem", app: { doctypes: [widget({}, [title, { fieldname: "private_key_pem", fieldtype: "Code", label: "Private Key" }])] } },
];

describe("broken DocTypes", () => {
  it.each(cases)("$name → $rule", ({ app, rule, field }) => {
    const issues = validateApp(makeApp(app));
    expect(rulesOf(issues)).toEqual([rule]);
    if (field !== undefined) expect(issues.map((i) => i.field)).toContain(field);
    for (const i of issues) expect(i.message.length).toBeGreaterThan(20);
  });

  it("accepts an ERPNext Link when hooks.py requires erpnext", () => {
    const root = makeApp({
      hooks: `app_name = "${PKG}"\nrequired_apps = ["frappe/erpnext"]\n`,
      doctypes: [widget({}, [title, { fieldname: "customer", fieldtype: "Link", label: "Customer", options: "Customer" }])],
    });
    expect(validateApp(root)).toEqual([]);
  });

  it("accepts a role only once the app's Python names it", () => {
    const app: TempApp = { doctypes: [widget({ permissions: [{ role: "Integration Manager", read: 1 }] })], python: "" };
    expect(rulesOf(validateApp(makeApp(app)))).toEqual(["permission-role"]);
    expect(validateApp(makeApp({ ...app, python: 'ROLE = "Integration Manager"\n' }))).toEqual([]);
  });

  it("reports an app without modules.txt", () => {
    const root = makeApp({ doctypes: [widget()] });
    rmSync(join(root, PKG, "modules.txt"));
    expect(rulesOf(validateApp(root))).toContain("modules-txt");
  });
});

describe("secret fieldnames", () => {
  it.each(["client_secret", "signing_secret", "previous_secret", "access_token", "refresh_token", "api_key", "apikey", "password", "private_key", "webhook_secrets", "credentials"])(
    "%s is a secret",
    (name) => expect(mentionsSecret(name)).toBe(true),
  );
  it.each(["token_expires_at", "secret_prefix", "token_url", "token_hashes", "token_hash", "secret_rotated_at", "token_type", "token_endpoint_auth_method", "title", "key_id", "monkey_business"])(
    "%s is metadata or unrelated",
    (name) => expect(mentionsSecret(name)).toBe(false),
  );
});
