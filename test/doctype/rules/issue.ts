import type { Issue, RuleId, ValidationContext } from "../types";

/** Binds file and doctype so rules only say rule, message and field. */
export function issue(ctx: Pick<ValidationContext, "file">, doctype: string) {
  return (rule: RuleId, message: string, field?: string): Issue =>
    field === undefined ? { file: ctx.file, doctype, rule, message } : { file: ctx.file, doctype, field, rule, message };
}
