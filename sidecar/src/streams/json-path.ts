/** The value at a dot path (`customer`, `data.object.id`) of parsed JSON; undefined when absent. */
export function valueAt(data: unknown, path: string): unknown {
  let v: unknown = data;
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** A dot path as the APIs accept it. */
export const FIELD_PATH_RE = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/;
