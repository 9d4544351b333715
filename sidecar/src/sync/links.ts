import type { LinkLookup } from './mapping';
import type { FieldMap } from './schemas';
import type { LocalSite } from './stores/frappe-local';

/**
 * Link transforms resolved through other profiles' Sync Logs: fetched once per page for the
 * values the page holds, both directions cached (a value converted one way converts back).
 */
export class Links implements LinkLookup {
  private readonly ext = new Map<string, string>();
  private readonly loc = new Map<string, string>();

  constructor(
    private readonly local: LocalSite,
    private readonly fields: FieldMap[],
  ) {}

  get active(): boolean {
    return this.fields.some((f) => f.transform?.type === 'link');
  }

  toExternal(profileId: string, localName: string): string | undefined {
    return this.ext.get(`${profileId}\u0000${localName}`);
  }

  toLocal(profileId: string, externalId: string): string | undefined {
    return this.loc.get(`${profileId}\u0000${externalId}`);
  }

  /** Loads the mappings for link values found in these local docs and remote records. */
  async prefetch(localDocs: Array<Record<string, unknown>>, remoteDocs: Array<Record<string, unknown>>, remoteValue: (doc: Record<string, unknown>, field: string) => unknown): Promise<void> {
    const want = new Map<string, { names: Set<string>; ids: Set<string> }>();
    for (const f of this.fields) {
      if (f.transform?.type !== 'link') continue;
      const pid = f.transform.profile_id;
      const w = want.get(pid) ?? { names: new Set(), ids: new Set() };
      want.set(pid, w);
      for (const d of localDocs) {
        const v = d[f.local_field];
        if (v !== null && v !== undefined && v !== '' && !this.ext.has(`${pid}\u0000${String(v)}`)) w.names.add(String(v));
      }
      for (const d of remoteDocs) {
        const v = remoteValue(d, f.remote_field);
        if (v !== null && v !== undefined && v !== '' && !this.loc.has(`${pid}\u0000${String(v)}`)) w.ids.add(String(v));
      }
    }
    await Promise.all(
      [...want].map(async ([pid, w]) => {
        if (w.names.size === 0 && w.ids.size === 0) return;
        const rows = await this.local.getLogs(pid, { local_names: [...w.names], external_ids: [...w.ids] });
        for (const r of rows) {
          if (!r.local_name || !r.external_id || r.status === 'Deleted') continue;
          this.ext.set(`${pid}\u0000${r.local_name}`, r.external_id);
          this.loc.set(`${pid}\u0000${r.external_id}`, r.local_name);
        }
      }),
    );
  }
}
