/**
 * Generates test/fixtures/core-names.json: the names a Frappe app must not reuse (DocTypes,
 * modules, workspaces of Frappe and ERPNext) and the Frappe v15 model vocabulary the DocType
 * validator checks against (fieldtypes, reserved fieldnames, naming rules, roles).
 *
 * Run by hand, from the repo root, against bare git mirrors (nothing is fetched here):
 *
 *   npx tsx test/doctype/generate-core-names.ts \
 *     --frappe  /work/.mirror/8848digital+frappe-v15/repo@version-15 \
 *     --erpnext /work/.mirror/ShinEi4+ErpNext/repo@08da53dcc3eb3618a0006d580a08bf136120a27c \
 *     --erpnext-note "<where the ERPNext snapshot comes from>"
 *
 * `<git dir>@<rev>`: any git directory (bare or not) and a revision in it. The output is sorted
 * and stable so a regeneration diff shows only real upstream changes.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

interface GitSource {
  gitDir: string;
  rev: string;
}

interface CoreDocType {
  name: string;
  module: string;
  istable: boolean;
  issingle: boolean;
}

interface AppNames {
  source: { gitDir: string; rev: string; commit: string; note?: string };
  modules: string[];
  workspaces: string[];
  doctypes: CoreDocType[];
  roles: string[];
}

function parseSource(arg: string | undefined, flag: string): GitSource {
  if (!arg) throw new Error(`missing ${flag} <git dir>@<rev>`);
  const at = arg.lastIndexOf("@");
  if (at <= 0) throw new Error(`${flag} must be <git dir>@<rev>, got ${arg}`);
  return { gitDir: arg.slice(0, at), rev: arg.slice(at + 1) };
}

function git(src: GitSource, args: string[], input?: string): Buffer {
  return execFileSync("git", ["-C", src.gitDir, ...args], {
    input,
    maxBuffer: 1 << 30,
  });
}

function listFiles(src: GitSource): string[] {
  return git(src, ["ls-tree", "-r", "--name-only", src.rev]).toString("utf8").split("\n").filter(Boolean);
}

/** Reads many blobs with one `git cat-file --batch` instead of one process per file. */
function readFiles(src: GitSource, paths: string[]): Map<string, string> {
  const out = git(src, ["cat-file", "--batch"], paths.map((p) => `${src.rev}:${p}\n`).join(""));
  const files = new Map<string, string>();
  let pos = 0;
  for (const path of paths) {
    const headerEnd = out.indexOf(0x0a, pos);
    const header = out.subarray(pos, headerEnd).toString("utf8");
    const size = Number(header.split(" ")[2]);
    if (header.endsWith("missing") || Number.isNaN(size)) throw new Error(`cannot read ${path}: ${header}`);
    files.set(path, out.subarray(headerEnd + 1, headerEnd + 1 + size).toString("utf8"));
    pos = headerEnd + 1 + size + 1;
  }
  return files;
}

function readFile(src: GitSource, path: string): string {
  const text = readFiles(src, [path]).get(path);
  if (text === undefined) throw new Error(`cannot read ${path}`);
  return text;
}

const sorted = (values: Iterable<string>): string[] => [...new Set(values)].sort();

/** DocTypes, workspaces, modules and permission roles of one app, read the way bench reads them. */
function collectApp(src: GitSource, appPackage: string, note?: string): AppNames {
  const files = listFiles(src);
  // A DocType lives in <module>/doctype/<scrub(name)>/<scrub(name)>.json
  // (frappe/modules/import_file.py: get_file_path); other JSON there is test data.
  const doctypeFiles = files.filter((f) => /\/doctype\/([^/]+)\/\1\.json$/.test(f));
  const workspaceFiles = files.filter((f) => /\/workspace\/([^/]+)\/\1\.json$/.test(f));
  const contents = readFiles(src, [...doctypeFiles, ...workspaceFiles]);

  const doctypes: CoreDocType[] = [];
  const roles = new Set<string>();
  for (const f of doctypeFiles) {
    const doc = JSON.parse(contents.get(f) ?? "null") as Record<string, unknown> | null;
    if (!doc || doc["doctype"] !== "DocType" || typeof doc["name"] !== "string") continue;
    doctypes.push({
      name: doc["name"],
      module: String(doc["module"] ?? ""),
      istable: Boolean(doc["istable"]),
      issingle: Boolean(doc["issingle"]),
    });
    for (const perm of (doc["permissions"] as Array<Record<string, unknown>> | undefined) ?? []) {
      if (typeof perm["role"] === "string") roles.add(perm["role"]);
    }
  }
  const workspaces: string[] = [];
  for (const f of workspaceFiles) {
    const doc = JSON.parse(contents.get(f) ?? "null") as Record<string, unknown> | null;
    if (doc && doc["doctype"] === "Workspace" && typeof doc["name"] === "string") workspaces.push(doc["name"]);
  }
  const modules = readFile(src, `${appPackage}/modules.txt`)
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const commit = git(src, ["rev-parse", src.rev]).toString("utf8").trim();
  return {
    source: { gitDir: src.gitDir, rev: src.rev, commit, ...(note ? { note } : {}) },
    modules: sorted(modules),
    workspaces: sorted(workspaces),
    doctypes: doctypes.sort((a, b) => a.name.localeCompare(b.name)),
    roles: sorted(roles),
  };
}

/** The string literals of a module-level `name = (...)`/`[...]`/`frozenset(...)` in Python source. */
function pythonStrings(source: string, name: string): string[] {
  const start = new RegExp(`^\\s*${name} = `, "m").exec(source);
  if (!start) throw new Error(`${name} not found`);
  let depth = 0;
  let end = start.index + start[0].length;
  for (; end < source.length; end++) {
    const ch = source[end];
    if (ch === "(" || ch === "[" || ch === "{") depth++;
    else if (ch === ")" || ch === "]" || ch === "}") {
      depth--;
      if (depth === 0) break;
    }
  }
  const body = source.slice(start.index + start[0].length, end + 1);
  return [...body.matchAll(/"([^"]*)"/g)].map((m) => m[1] ?? "");
}

/** Public method and property names of a class body (one tab of indent, frappe's style). */
function classAttributes(source: string): string[] {
  return [...source.matchAll(/^\tdef ([a-zA-Z][a-zA-Z0-9_]*)\(/gm)].map((m) => m[1] ?? "");
}

function frappeModel(src: GitSource): Record<string, unknown> {
  const model = readFile(src, "frappe/model/__init__.py");
  const baseDocument = readFile(src, "frappe/model/base_document.py");
  const document = readFile(src, "frappe/model/document.py");
  const doctypePy = readFile(src, "frappe/core/doctype/doctype/doctype.py");
  const docfield = JSON.parse(readFile(src, "frappe/core/doctype/docfield/docfield.json")) as {
    fields: Array<{ fieldname: string; options?: string }>;
  };
  const doctypeJson = JSON.parse(readFile(src, "frappe/core/doctype/doctype/doctype.json")) as {
    fields: Array<{ fieldname: string; options?: string }>;
  };
  const options = (fields: Array<{ fieldname: string; options?: string }>, name: string): string[] =>
    (fields.find((f) => f.fieldname === name)?.options ?? "").split("\n").filter(Boolean);
  const permissions = readFile(src, "frappe/permissions.py");
  const automaticRoles = [...permissions.matchAll(/^[A-Z_]+_ROLE = "([^"]+)"/gm)].map((m) => m[1] ?? "");

  return {
    fieldtypes: sorted(options(docfield.fields, "fieldtype")),
    data_fieldtypes: pythonStrings(model, "data_fieldtypes"),
    no_value_fields: pythonStrings(model, "no_value_fields"),
    display_fieldtypes: pythonStrings(model, "display_fieldtypes"),
    table_fields: pythonStrings(model, "table_fields"),
    data_field_options: pythonStrings(model, "data_field_options"),
    naming_rules: options(doctypeJson.fields, "naming_rule"),
    // Autoname forms that model/naming.py set_name_from_naming_options turns into a name
    // (anything else silently falls back to a hash); public/js/frappe/doctype/index.js
    // `autoname()` maps them to naming rules. Old style "PREFIX.#####" needs a "#".
    autoname_forms: {
      exact: ["prompt", "hash", "autoincrement"],
      prefixes: ["field:", "naming_series:", "format:"],
    },
    reserved_fieldnames: {
      default_fields: pythonStrings(model, "default_fields"),
      child_table_fields: pythonStrings(model, "child_table_fields"),
      optional_fields: pythonStrings(model, "optional_fields"),
      // doctype.py scrub_field_names: "Fieldname {0} is restricted"
      restricted: pythonStrings(doctypePy, "restricted"),
      // base_document.py BaseDocument._reserved_keywords (validate_fields: check_invalid_fieldnames)
      reserved_keywords: pythonStrings(baseDocument, "_reserved_keywords"),
      // types/exporter.py skips keyword fieldnames: `doc.from` is a SyntaxError in controllers.
      // Hard kwlist of Python 3.10-3.12 (identical across the three).
      python_keywords: [
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
        "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
        "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return",
        "try", "while", "with", "yield",
      ].filter((k) => k === k.toLowerCase()),
      // doctype.py validate_field_name_conflicts: a field may not shadow a controller method.
      document_methods: sorted([...classAttributes(baseDocument), ...classAttributes(document)]),
    },
    automatic_roles: automaticRoles,
  };
}

function main(argv: string[]): void {
  const arg = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const frappe = parseSource(arg("--frappe"), "--frappe");
  const erpnext = parseSource(arg("--erpnext"), "--erpnext");
  const data = {
    generated_by: "test/doctype/generate-core-names.ts",
    frappe: collectApp(frappe, "frappe"),
    erpnext: collectApp(erpnext, "erpnext", arg("--erpnext-note")),
    model: frappeModel(frappe),
  };
  const out = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "core-names.json");
  writeFileSync(out, JSON.stringify(data, null, 1) + "\n");
  console.log(
    `wrote ${out}: frappe ${data.frappe.doctypes.length} doctypes, erpnext ${data.erpnext.doctypes.length} doctypes`,
  );
}

main(process.argv.slice(2));
