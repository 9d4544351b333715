/**
 * Validates a Frappe app's DocType and Workspace JSON the way `bench migrate` and the DocType
 * controller would (frappe/core/doctype/doctype/doctype.py `validate`, frappe/modules/import_file.py),
 * plus a few rules for what would hurt users (secrets in clear, ERPNext links without ERPNext,
 * unknown roles). Core names come from test/fixtures/core-names.json.
 */
import { readApp, type AppFile } from "./app";
import { checkFields } from "./rules/fields";
import { checkIdentity, checkModuleNames } from "./rules/identity";
import { checkLinks } from "./rules/links";
import { checkNaming } from "./rules/naming";
import { checkPermissions } from "./rules/permissions";
import { checkReferences } from "./rules/references";
import { checkSecrets } from "./rules/secrets";
import { checkWorkspace, type WorkspaceJson } from "./rules/workspace";
import type { DocTypeJson, Issue, ValidationContext } from "./types";

export type { Issue, ValidationContext } from "./types";

/** All rules that need only this DocType and the context. */
export function validateDocType(doc: DocTypeJson, ctx: ValidationContext): Issue[] {
  const out: Issue[] = [];
  const name = checkIdentity(doc, ctx, out);
  if (name === undefined) return out;
  checkFields(doc, name, ctx, out);
  checkLinks(doc, name, ctx, out);
  checkNaming(doc, name, ctx, out);
  checkPermissions(doc, name, ctx, out);
  checkReferences(doc, name, ctx, out);
  checkSecrets(doc, name, ctx, out);
  return out;
}

type Parsed<T> = { file: AppFile; doc: T };

function parseAll<T>(files: AppFile[], out: Issue[]): Parsed<T>[] {
  const parsed: Parsed<T>[] = [];
  for (const file of files) {
    try {
      const doc = JSON.parse(file.text) as unknown;
      if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw new Error("not a JSON object");
      parsed.push({ file, doc: doc as T });
    } catch (e) {
      out.push({ file: file.file, doctype: "", rule: "invalid-json", message: `Fix the JSON (${(e as Error).message}); bench migrate cannot import this file.` });
    }
  }
  return parsed;
}

/** Validates every DocType and Workspace of the app whose repository root is `appRoot`. */
export function validateApp(appRoot: string): Issue[] {
  const app = readApp(appRoot);
  const out: Issue[] = [];
  if (!app.packageName) {
    return [{ file: ".", doctype: "", rule: "modules-txt", message: "No app package found: add <package>/modules.txt and hooks.py (frappe/utils/boilerplate.py layout)." }];
  }
  const modulesFile = `${app.packageName}/modules.txt`;
  if (!app.modules) {
    out.push({ file: modulesFile, doctype: "", rule: "modules-txt", message: `Add ${modulesFile} listing the app's modules, one per line (e.g. "Integrations App").` });
  } else {
    out.push(...checkModuleNames(app.modules, { file: modulesFile }));
  }
  const doctypes = parseAll<DocTypeJson>(app.doctypeFiles, out);
  const workspaces = parseAll<WorkspaceJson>(app.workspaceFiles, out);

  const appDocTypes = new Map<string, DocTypeJson>();
  for (const { file, doc } of doctypes) {
    if (typeof doc.name !== "string") continue;
    if (appDocTypes.has(doc.name)) {
      out.push({ file: file.file, doctype: doc.name, rule: "duplicate-doctype", message: `DocType "${doc.name}" is defined twice; keep one file.` });
    }
    appDocTypes.set(doc.name, doc);
  }
  const context = (file: AppFile): ValidationContext => ({
    file: file.file,
    packagePath: file.packagePath,
    appModules: new Set(app.modules ?? []),
    appDocTypes,
    appRoles: app.roles,
    requiredApps: app.requiredApps,
  });
  for (const { file, doc } of doctypes) out.push(...validateDocType(doc, context(file)));
  for (const { file, doc } of workspaces) out.push(...checkWorkspace(doc, context(file)));
  out.push(...unusedChildTables(doctypes));
  return out;
}

/** A child DocType no Table field of the app uses is dead schema (and a table migrate keeps creating). */
function unusedChildTables(doctypes: Parsed<DocTypeJson>[]): Issue[] {
  const used = new Set(
    doctypes.flatMap(({ doc }) => (doc.fields ?? []).filter((f) => f.fieldtype === "Table" || f.fieldtype === "Table MultiSelect").map((f) => f.options)),
  );
  return doctypes
    .filter(({ doc }) => doc.istable && typeof doc.name === "string" && !used.has(doc.name))
    .map(({ file, doc }) => ({
      file: file.file,
      doctype: doc.name as string,
      rule: "child-unused" as const,
      message: `Child table "${doc.name as string}" is used by no Table field; add one in its parent DocType or delete it.`,
    }));
}
