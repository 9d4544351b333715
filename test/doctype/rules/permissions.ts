/**
 * Permission rows, after doctype.py `validate_permissions` (roles, basic rights, dependencies,
 * duplicates, level 0 first) and `set_defaults_for_single_and_table` (child tables lose theirs).
 */
import { core } from "../core-names";
import type { DocPerm, DocTypeJson, Issue, ValidationContext } from "../types";
import { issue } from "./issue";

const BASIC_RIGHTS = ["select", "read", "write", "create", "submit", "cancel"] as const;

export function checkPermissions(doc: DocTypeJson, name: string, ctx: ValidationContext, out: Issue[]): void {
  const at = issue(ctx, name);
  const perms = doc.permissions ?? [];
  if (doc.istable) {
    if (perms.length) {
      out.push(at("child-with-permissions", `Remove "permissions" from child table "${name}": Frappe clears them (access follows the parent DocType).`));
    }
    return;
  }
  if (!perms.length) {
    // Without rows only Administrator can open it (Singles included: settings need a manager role).
    out.push(at("missing-permissions", `Add a permissions row (e.g. role "System Manager" with read/write/create/delete) so anyone but Administrator can use "${name}".`));
    return;
  }
  perms.forEach((p, i) => checkRow(p, i, perms, doc, ctx, at, out));
}

function checkRow(
  p: DocPerm,
  i: number,
  perms: DocPerm[],
  doc: DocTypeJson,
  ctx: ValidationContext,
  at: ReturnType<typeof issue>,
  out: Issue[],
): void {
  const row = `permissions[${i}]`;
  const level = p.permlevel ?? 0;
  if (!p.role) {
    out.push(at("permission-role", `${row}: set "role".`));
  } else if (!core.roles.has(p.role) && !ctx.appRoles.has(p.role)) {
    out.push(at("permission-role", `${row}: role "${p.role}" is neither a Frappe/ERPNext role nor one the app creates; fix the spelling or create it (after_install / fixtures) and name it in the app's Python code.`));
  }
  if (!BASIC_RIGHTS.some((r) => p[r])) {
    out.push(at("permission-rights", `${row} (${p.role ?? "?"}): grant at least one of ${BASIC_RIGHTS.join(", ")}.`));
  }
  if (p.cancel && !p.submit) out.push(at("permission-rights", `${row} (${p.role ?? "?"}): cancel needs submit.`));
  if ((p.submit || p.cancel || p.amend) && !p.write) out.push(at("permission-rights", `${row} (${p.role ?? "?"}): submit/cancel/amend need write.`));
  if (p.import && !p.create) out.push(at("permission-rights", `${row} (${p.role ?? "?"}): import needs create.`));
  if ((p.submit || p.amend) && !doc.is_submittable) out.push(at("permission-rights", `${row} (${p.role ?? "?"}): remove submit/amend, "${doc.name as string}" is not submittable.`));
  if (p.import && !doc.allow_import) out.push(at("permission-rights", `${row} (${p.role ?? "?"}): remove import or set allow_import.`));
  const same = perms.findIndex((q) => q.role === p.role && (q.permlevel ?? 0) === level && Boolean(q.if_owner) === Boolean(p.if_owner));
  if (same !== i) {
    out.push(at("permission-duplicate", `${row}: merge with permissions[${same}], one row per role, level and if_owner.`));
  }
  if (level > 0 && !perms.some((q) => q.role === p.role && (q.permlevel ?? 0) === 0) && p.role !== "All" && p.role !== "Desk User") {
    out.push(at("permission-rights", `${row}: role "${p.role ?? "?"}" needs a level 0 row before level ${level}.`));
  }
}
