/**
 * Workspace JSON shipped by the app (frappe/desk/doctype/workspace): its name is global like a
 * DocType's (frappe/modules/import_file.py import_doc replaces a same-named one), its /app/<slug>
 * route is shared with DocTypes and Pages (frappe/desk/utils.py validate_route_conflict), and
 * its links and shortcuts must open DocTypes that exist.
 */
import { core, scrub, slug } from "../core-names";
import type { Issue, ValidationContext } from "../types";
import { issue } from "./issue";
import { resolveDocType } from "./links";

interface WorkspaceLink {
  type?: string;
  link_type?: string;
  link_to?: string;
  label?: string;
}

export interface WorkspaceJson {
  doctype?: unknown;
  name?: unknown;
  label?: string;
  module?: string;
  links?: WorkspaceLink[];
  shortcuts?: WorkspaceLink[];
}

export function checkWorkspace(ws: WorkspaceJson, ctx: ValidationContext): Issue[] {
  const out: Issue[] = [];
  const name = typeof ws.name === "string" ? ws.name : "";
  const at = issue(ctx, name);
  if (ws.doctype !== "Workspace") out.push(at("not-a-doctype", `Set "doctype": "Workspace" in this workspace file.`));
  if (!name) {
    out.push(at("missing-name", `Add "name" (and the same "label"; Workspace is named by label).`));
    return out;
  }
  if (ws.label !== undefined && ws.label !== name) {
    out.push(at("invalid-name", `Set "label" to "${name}": a Workspace is named by its label (autoname field:label).`));
  }
  const owner = core.workspaces.get(name);
  if (owner) out.push(at("core-collision", `Rename workspace "${name}": ${owner} already ships a workspace of that name.`));
  const clash = [...ctx.appDocTypes.keys(), ...core.frappeDocTypes.keys(), ...core.erpnextDocTypes.keys()].find((d) => slug(d) === slug(name));
  if (clash) out.push(at("route-conflict", `Rename workspace "${name}": /app/${slug(name)} is already the route of DocType "${clash}".`));
  if (!ws.module) {
    out.push(at("missing-module", `Add a "module" listed in modules.txt.`));
  } else {
    if (!ctx.appModules.has(ws.module)) out.push(at("unknown-module", `Set "module" to one of modules.txt (${[...ctx.appModules].join(", ") || "empty"}); found "${ws.module}".`));
    const expected = `${scrub(ws.module)}/workspace/${scrub(name)}/${scrub(name)}.json`;
    if (ctx.packagePath !== expected) out.push(at("path-mismatch", `Move the file to <package>/${expected}.`));
  }
  const targets = [
    ...(ws.links ?? []).filter((l) => l.type === "Link" && l.link_type === "DocType").map((l) => ["links", l] as const),
    ...(ws.shortcuts ?? []).filter((s) => s.type === "DocType").map((s) => ["shortcuts", s] as const),
  ];
  for (const [list, l] of targets) {
    const target = l.link_to ? resolveDocType(l.link_to, ctx) : "it has no link_to";
    if (typeof target === "string") {
      out.push(at("workspace-link", `Fix ${list} entry "${l.label ?? l.link_to ?? ""}": ${target}.`));
    } else if (target.istable) {
      out.push(at("workspace-link", `Remove ${list} entry "${l.label ?? l.link_to ?? ""}": "${l.link_to ?? ""}" is a child table and has no list view.`));
    }
  }
  return out;
}
