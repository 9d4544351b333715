/**
 * `autoname` and `naming_rule`, after doctype.py `validate_series`, frappe/model/naming.py
 * `set_name_from_naming_options` / `_format_autoname` and the autoname → naming_rule mapping in
 * frappe/public/js/frappe/doctype/index.js `autoname()`.
 */
import { core } from "../core-names";
import type { DocTypeJson, Issue, ValidationContext } from "../types";
import { issue } from "./issue";

// naming.py parse_naming_series: braced parts that are not fieldnames; doc.get() also reads the
// standard columns, so {creation} or {owner} work too.
const SERIES_WORDS = new Set(["YY", "YYYY", "MM", "DD", "WW", "timestamp", "name", "owner", "creation", "modified", "modified_by"]);

/** The naming_rule the desk form derives from an autoname (index.js `autoname()`). */
function namingRuleFor(autoname: string): string {
  const a = autoname.toLowerCase();
  if (a === "prompt") return "Set by user";
  if (a === "autoincrement") return "Autoincrement";
  if (a.startsWith("field:")) return "By fieldname";
  if (a.startsWith("naming_series:")) return 'By "Naming Series" field';
  if (a.startsWith("format:")) return "Expression";
  if (a === "hash") return "Random";
  return "Expression (old style)";
}

export function checkNaming(doc: DocTypeJson, name: string, ctx: ValidationContext, out: Issue[]): void {
  const at = issue(ctx, name);
  const fields = doc.fields ?? [];
  const field = (fieldname: string) => fields.find((f) => f.fieldname === fieldname);
  const autoname = (doc.autoname ?? "").trim();

  if (autoname) {
    const lower = autoname.toLowerCase();
    const known = core.autonameExact.has(lower) || core.autonamePrefixes.some((p) => lower.startsWith(p));
    // naming.py: anything else names a document only through a "#" series; otherwise the
    // name silently falls back to a random hash (unless the controller's autoname() does it).
    if (!known && !autoname.includes("#") && doc.naming_rule !== "By script") {
      out.push(at("invalid-autoname", `autoname "${autoname}" is not a Frappe naming form; use hash, prompt, autoincrement, field:<fieldname>, naming_series:, format:PREFIX-{#####} or PREFIX-.#####, or naming_rule "By script" with an autoname() in the controller.`));
    }
    if (lower.startsWith("field:")) {
      const target = autoname.slice("field:".length).trim();
      const df = field(target);
      if (!df) {
        out.push(at("invalid-autoname", `autoname "${autoname}" names no field; add field "${target}" or change autoname.`));
      } else if (!df.unique) {
        out.push(at("invalid-autoname", `Set "unique": 1 on "${target}": it is the document name (field:${target}); Frappe forces it on import, keep the JSON saying so.`, target));
      }
    }
    if (lower.startsWith("naming_series:") && !field("naming_series")) {
      out.push(at("invalid-autoname", `Add a Select field "naming_series": autoname naming_series: needs it (doctype.py validate_series).`));
    }
    if (lower.startsWith("format:")) {
      for (const m of autoname.matchAll(/\{([^{}]*)\}/g)) {
        const part = m[1] ?? "";
        if (part.startsWith("#") || SERIES_WORDS.has(part) || field(part)) continue;
        out.push(at("invalid-autoname", `autoname "${autoname}": {${part}} is neither a field of this DocType nor a series/date part ({#####}, {YY}, {MM}, …).`));
      }
    }
  }

  if (doc.naming_rule) {
    if (!core.namingRules.has(doc.naming_rule)) {
      out.push(at("naming-rule-mismatch", `naming_rule "${doc.naming_rule}" is not a Frappe v15 naming rule (${[...core.namingRules].filter(Boolean).join(", ")}).`));
    } else if (doc.naming_rule !== "By script" && autoname && namingRuleFor(autoname) !== doc.naming_rule) {
      out.push(at("naming-rule-mismatch", `naming_rule "${doc.naming_rule}" does not match autoname "${autoname}" (desk would show "${namingRuleFor(autoname)}"); make them agree.`));
    } else if (doc.naming_rule !== "By script" && doc.naming_rule !== "Set by user" && !autoname) {
      out.push(at("naming-rule-mismatch", `naming_rule "${doc.naming_rule}" needs an autoname; set one or drop naming_rule.`));
    }
  }
}
