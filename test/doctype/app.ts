/**
 * Reads a Frappe app the way bench does: the Python package next to the repo root that holds
 * modules.txt, its module folders, `<module>/doctype/<x>/<x>.json` and
 * `<module>/workspace/<x>/<x>.json` (frappe/modules/import_file.py, frappe/modules/utils.py).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export interface AppFile {
  /** Path relative to the app root, for issues. */
  file: string;
  /** Path relative to the Python package, e.g. "integrations_app/doctype/x/x.json". */
  packagePath: string;
  text: string;
}

export interface AppLayout {
  root: string;
  /** Python package directory name, e.g. "integrations_app"; undefined when none is found. */
  packageName: string | undefined;
  /** modules.txt lines; undefined when the file is missing. */
  modules: string[] | undefined;
  doctypeFiles: AppFile[];
  workspaceFiles: AppFile[];
  roles: Set<string>;
  requiredApps: Set<string>;
}

function isDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** The package bench installs: a top-level folder with modules.txt or hooks.py, else pyproject's `name`. */
function findPackage(root: string): string | undefined {
  const candidates = readdirSync(root).filter(
    (d) => isDir(join(root, d)) && (existsSync(join(root, d, "modules.txt")) || existsSync(join(root, d, "hooks.py"))),
  );
  if (candidates.length > 0) return candidates.sort()[0];
  const pyproject = join(root, "pyproject.toml");
  const name = existsSync(pyproject) ? /^name\s*=\s*"([^"]+)"/m.exec(readFileSync(pyproject, "utf8"))?.[1] : undefined;
  return name && isDir(join(root, name)) ? name : undefined;
}

/** `<package>/<module folder>/<kind>/<x>/<x>.json`; other JSON there is test data. */
function findDocFiles(root: string, pkg: string, kind: "doctype" | "workspace"): AppFile[] {
  const pkgDir = join(root, pkg);
  const files: AppFile[] = [];
  for (const moduleDir of readdirSync(pkgDir).sort()) {
    const kindDir = join(pkgDir, moduleDir, kind);
    if (!isDir(kindDir)) continue;
    for (const docDir of readdirSync(kindDir).sort()) {
      if (!isDir(join(kindDir, docDir))) continue;
      for (const f of readdirSync(join(kindDir, docDir)).sort()) {
        if (!f.endsWith(".json")) continue;
        const abs = join(kindDir, docDir, f);
        const text = readFileSync(abs, "utf8");
        // Bench imports only <x>/<x>.json; another JSON that declares the same kind of document
        // (a file left behind by a rename) is kept so the path rule can report it.
        const declaresKind = new RegExp(`"doctype"\\s*:\\s*"${kind === "doctype" ? "DocType" : "Workspace"}"`).test(text);
        if (f !== `${docDir}.json` && !declaresKind) continue;
        files.push({ file: relative(root, abs), packagePath: relative(pkgDir, abs), text });
      }
    }
  }
  return files;
}

function walkFiles(dir: string, suffix: string): string[] {
  if (!isDir(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" || e.name.startsWith(".") ? [] : walkFiles(p, suffix);
    return e.name.endsWith(suffix) ? [p] : [];
  });
}

/**
 * Roles the app itself can create. A permission row's role is created by Frappe on import
 * (doctype.py make_module_and_roles), so a typo silently makes a new empty role; we accept a
 * role only when the app names it somewhere it would create it: as a string literal in its
 * Python code (after_install / constants) or as a Role in its fixtures JSON.
 */
function appRoles(root: string, pkg: string): Set<string> {
  const roles = new Set<string>();
  for (const py of walkFiles(join(root, pkg), ".py")) {
    for (const m of readFileSync(py, "utf8").matchAll(/(["'])([A-Z][A-Za-z0-9 ]*[A-Za-z0-9])\1/g)) roles.add(m[2] ?? "");
  }
  for (const fixture of walkFiles(join(root, pkg, "fixtures"), ".json")) {
    try {
      const rows = JSON.parse(readFileSync(fixture, "utf8")) as unknown;
      for (const row of Array.isArray(rows) ? rows : []) {
        const r = row as Record<string, unknown>;
        if (r["doctype"] === "Role" && typeof r["role_name"] === "string") roles.add(r["role_name"]);
      }
    } catch {
      // A broken fixture file is bench's to report at install; it defines no roles here.
    }
  }
  return roles;
}

/** hooks.py `required_apps = ["erpnext", ...]`. */
function requiredApps(root: string, pkg: string): Set<string> {
  const hooks = join(root, pkg, "hooks.py");
  if (!existsSync(hooks)) return new Set();
  const m = /^required_apps\s*=\s*\[([^\]]*)\]/m.exec(readFileSync(hooks, "utf8"));
  return new Set([...(m?.[1] ?? "").matchAll(/["']([^"']+)["']/g)].map((x) => (x[1] ?? "").split("/").pop() ?? ""));
}

export function readApp(root: string): AppLayout {
  const packageName = findPackage(root);
  if (!packageName) {
    return { root, packageName, modules: undefined, doctypeFiles: [], workspaceFiles: [], roles: new Set(), requiredApps: new Set() };
  }
  const modulesTxt = join(root, packageName, "modules.txt");
  return {
    root,
    packageName,
    modules: existsSync(modulesTxt)
      ? readFileSync(modulesTxt, "utf8").split("\n").map((l) => l.trim()).filter(Boolean)
      : undefined,
    doctypeFiles: findDocFiles(root, packageName, "doctype"),
    workspaceFiles: findDocFiles(root, packageName, "workspace"),
    roles: appRoles(root, packageName),
    requiredApps: requiredApps(root, packageName),
  };
}
