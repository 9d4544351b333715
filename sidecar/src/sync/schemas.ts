import { z } from 'zod';

/** The profile as Frappe sends it (`PUT /v1/sync/profiles/{id}`, docs/sync.md §1). */

export const ProfileId = z.string().min(1).max(140).regex(/^[^/\s][^/]*$/, 'no slash, no leading space');

const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const FILTER_OPS = ['=', '!=', '>', '>=', '<', '<=', 'in', 'not in', 'is', 'like'] as const;
export const Filter = z.tuple([z.string().min(1).max(140), z.enum(FILTER_OPS), z.union([Scalar, z.array(Scalar).max(1000)])]);
export type Filter = z.infer<typeof Filter>;

export const RULES = ['two_way', 'prefer_local_unless_blank', 'prefer_remote_unless_blank', 'always_local', 'always_remote', 'dont_sync'] as const;
export type Rule = (typeof RULES)[number];

const Transform = z.discriminatedUnion('type', [
  z.object({ type: z.literal('constant'), value: Scalar, side: z.enum(['local', 'remote']).default('remote') }).strict(),
  z
    .object({
      type: z.literal('value_map'),
      map: z.record(z.string(), Scalar),
      default_local: Scalar.optional(),
      default_remote: Scalar.optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('date'),
      local_format: z.enum(['date', 'datetime']).default('datetime'),
      remote_format: z.enum(['iso', 'date', 'epoch_s', 'epoch_ms', 'dd/mm/yyyy', 'mm/dd/yyyy']),
    })
    .strict(),
  z
    .object({
      type: z.literal('number'),
      scale: z.number().positive().optional(),
      decimals: z.number().int().min(0).max(12).optional(),
      as_string: z.boolean().default(false),
    })
    .strict(),
  z.object({ type: z.literal('link'), profile_id: ProfileId }).strict(),
]);
export type Transform = z.infer<typeof Transform>;

export const FieldMap = z
  .object({
    local_field: z.string().min(1).max(140),
    remote_field: z.string().min(1).max(256),
    direction: z.enum(['both', 'push', 'pull']).default('both'),
    rule: z.enum(RULES).default('two_way'),
    transform: Transform.nullable().default(null),
  })
  .strict();
export type FieldMap = z.infer<typeof FieldMap>;

const ApiPath = z.string().min(1).max(1024).regex(/^\/[^?#\s\\]*$/, 'must start with / and hold no ?, #, whitespace or backslash');
const MatchField = z.string().min(1).max(256).nullable().default(null);

const FrappeRemote = z
  .object({
    type: z.literal('frappe'),
    connection_id: z.string().min(1).max(140),
    doctype: z.string().min(1).max(140),
    time_zone: z.string().min(1).max(64).default('UTC'),
    match_field: MatchField,
  })
  .strict()
  .refine((r) => validTimeZone(r.time_zone), { path: ['time_zone'], message: 'unknown IANA time zone' });

const RestRemote = z
  .object({
    type: z.literal('rest'),
    connection_id: z.string().min(1).max(140),
    list_path: ApiPath,
    get_path: ApiPath,
    create_path: ApiPath,
    update_path: ApiPath,
    update_method: z.enum(['PUT', 'PATCH']).default('PATCH'),
    delete_path: ApiPath.nullable().default(null),
    id_field: z.string().min(1).max(256).default('id'),
    updated_field: z.string().min(1).max(256).nullable().default(null),
    updated_since_param: z.string().min(1).max(256).nullable().default(null),
    updated_since_format: z.enum(['iso', 'epoch_s', 'epoch_ms']).default('iso'),
    items_field: z.string().min(1).max(256).nullable().default(null),
    pagination: z
      .object({
        style: z.enum(['page', 'offset', 'cursor', 'link']),
        page_param: z.string().min(1).max(64).default('page'),
        offset_param: z.string().min(1).max(64).default('offset'),
        limit_param: z.string().min(1).max(64).default('limit'),
        cursor_param: z.string().min(1).max(64).default('cursor'),
        next_cursor_field: z.string().min(1).max(256).default('next_cursor'),
      })
      .strict(),
    match_field: MatchField,
  })
  .strict();

export const ProfileInput = z
  .object({
    enabled: z.boolean().default(true),
    local_doctype: z.string().min(1).max(140),
    direction: z.enum(['push', 'pull', 'both']),
    mode: z.enum(['realtime', 'batch', 'scheduled']).default('batch'),
    schedule_cron: z.string().min(9).max(120).nullable().default(null),
    conflict_strategy: z.enum(['local_wins', 'remote_wins', 'latest_wins', 'manual']).default('latest_wins'),
    latest_fallback: z.enum(['local', 'remote']).default('local'),
    page_size: z.number().int().min(1).max(1000).default(200),
    lookback_s: z.number().int().min(0).max(86_400).default(300),
    local_filters: z.array(Filter).max(50).default([]),
    remote_filters: z.array(Filter).max(50).default([]),
    deletes: z
      .object({
        push: z.boolean().default(true),
        pull: z.boolean().default(true),
        remote_rule: z.enum(['tombstone', 'absence', 'none']).default('none'),
        tombstone_field: z.string().min(1).max(256).nullable().default(null),
        tombstone_value: Scalar.default(true),
      })
      .strict()
      .refine((d) => d.remote_rule !== 'tombstone' || d.tombstone_field !== null, { path: ['tombstone_field'], message: 'required by remote_rule "tombstone"' })
      .default({ push: true, pull: true, remote_rule: 'none', tombstone_field: null, tombstone_value: true }),
    max_attempts: z.number().int().min(1).max(20).default(5),
    /**
     * First sync of records both sides already hold: a record with no Sync Log row is paired
     * with the other side's record whose key field holds the same value, instead of created again.
     */
    match_on: z
      .object({ local_field: z.string().min(1).max(140), remote_field: z.string().min(1).max(256) })
      .strict()
      .nullable()
      .default(null),
    remote: z.discriminatedUnion('type', [FrappeRemote, RestRemote]),
    fields: z.array(FieldMap).min(1).max(500),
  })
  .strict()
  .superRefine((p, ctx) => {
    if (p.mode === 'scheduled' && !p.schedule_cron) ctx.addIssue({ code: 'custom', path: ['schedule_cron'], message: 'required when mode is "scheduled"' });
    const seen = new Set<string>();
    p.fields.forEach((f, i) => {
      if (f.transform?.type === 'constant') return;
      if (seen.has(f.local_field)) ctx.addIssue({ code: 'custom', path: ['fields', i, 'local_field'], message: 'mapped twice' });
      seen.add(f.local_field);
    });
  });
export type Profile = z.infer<typeof ProfileInput>;
export type RestRemote = z.infer<typeof RestRemote>;
export type FrappeRemote = z.infer<typeof FrappeRemote>;

function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const RunKind = z.enum(['incremental', 'full']);
export const StartRunBody = z.object({ kind: RunKind.default('incremental') }).strict();

export const RecordRef = z
  .object({ local_name: z.string().min(1).max(140).optional(), external_id: z.string().min(1).max(256).optional() })
  .strict()
  .refine((r) => r.local_name !== undefined || r.external_id !== undefined, { message: 'give local_name or external_id' });
export type RecordRef = z.infer<typeof RecordRef>;

export const ChangesBody = z
  .object({ changes: z.array(z.object({ name: z.string().min(1).max(140), action: z.enum(['upsert', 'delete']) }).strict()).min(1).max(1000) })
  .strict();

export const ResolveBody = z
  .object({
    local_name: z.string().min(1).max(140).optional(),
    external_id: z.string().min(1).max(256).optional(),
    take: z.enum(['local', 'remote', 'merge']),
    values: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .refine((r) => r.local_name !== undefined || r.external_id !== undefined, { message: 'give local_name or external_id' })
  .refine((r) => r.take !== 'merge' || r.values !== undefined, { path: ['values'], message: 'required when take is "merge"' });
