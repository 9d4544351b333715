/**
 * Who a DocType is: its name, module and where its file lives. Mirrors
 * frappe/core/doctype/doctype/doctype.py `validate_name` and the path bench imports from
 * (frappe/modules/import_file.py `get_file_path`: <module>/doctype/<scrub(name)>/<scrub(name)>.json).
 */
import { core, scrub } from "../core-names";
import type { DocTypeJson, Issue, ValidationContext } from "../types";
import { issue } from "./issue";

// doctype.py: table is `tab<Name>` and MariaDB caps identifiers at 64 (MAX_COLUMN_LENGTH - 3).
const MAX_NAME_LENGTH = 61;
// doctype.py START_WITH_LETTERS_PATTERN (ASCII): a letter first, then letters, digits, _, space, -.
const NAME_PATTERN = /^(?![\W])[^\d_\s][\w -]+$/;
const WHITESPACE_PADDING = /^[ \t\n\r]+|[ \t\n\r]+$/;

/** Returns the name when present, so the other rules can run; issues go to `out`. */
export function checkIdentity(doc: DocTypeJson, ctx: ValidationContext, out: Issue[]): string | undefined {
  const at = issue(ctx, typeof doc.name === "string" ? doc.name : "");
  if (doc.doctype !== "DocType") {
    out.push(at("not-a-doctype", `Set "doctype": "DocType" (found ${JSON.stringify(doc.doctype)}); bench imports the file as whatever doctype it names.`));
  }
  if (typeof doc.name !== "string" || doc.name === "") {
    out.push(at("missing-name", `Add a "name" (the DocType name, e.g. "Integration Webhook").`));
    return undefined;
  }
  const name = doc.name;
  if (name.length > MAX_NAME_LENGTH) {
    out.push(at("invalid-name", `Shorten the name to ${MAX_NAME_LENGTH} characters or fewer (it is ${name.length}); the table is \`tab${name}\` and MariaDB allows 64.`));
  }
  if (WHITESPACE_PADDING.test(name) || !NAME_PATTERN.test(name)) {
    out.push(at("invalid-name", `Rename "${name}": start with a letter, use only letters, digits, spaces, "_" and "-", no leading/trailing whitespace.`));
  }
  const coreDocType = core.frappeDocTypes.get(name) ?? core.erpnextDocTypes.get(name);
  if (coreDocType) {
    const owner = core.frappeDocTypes.has(name) ? "Frappe" : "ERPNext";
    out.push(at("core-collision", `Rename "${name}": ${owner} already ships a DocType of that name (module ${coreDocType.module}); bench migrate would replace it and uninstall would drop it.`));
  }
  if (typeof doc.module !== "string" || doc.module === "") {
    out.push(at("missing-module", `Add a "module" listed in modules.txt (e.g. "Integrations App").`));
  } else {
    checkModuleAndPath(name, doc.module, ctx, out);
  }
  return name;
}

function checkModuleAndPath(name: string, module: string, ctx: ValidationContext, out: Issue[]): void {
  const at = issue(ctx, name);
  if (!ctx.appModules.has(module)) {
    out.push(at("unknown-module", `Set "module" to one of modules.txt (${[...ctx.appModules].join(", ") || "empty"}), or add "${module}" there; found "${module}".`));
  }
  const expected = `${scrub(module)}/doctype/${scrub(name)}/${scrub(name)}.json`;
  if (ctx.packagePath !== expected) {
    out.push(at("path-mismatch", `Move the file to <package>/${expected}; bench looks for DocType "${name}" of module "${module}" only there.`));
  }
}

/** A module the app declares in modules.txt must not be a Frappe/ERPNext module (Module Def names are global). */
export function checkModuleNames(modules: readonly string[], ctx: Pick<ValidationContext, "file">): Issue[] {
  return modules.flatMap((m) => {
    const owner = core.modules.get(m);
    return owner
      ? [{ file: ctx.file, doctype: m, rule: "core-collision" as const, message: `Rename module "${m}" in modules.txt: ${owner} already has a module of that name.` }]
      : [];
  });
}
