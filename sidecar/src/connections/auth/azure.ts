import { createHmac } from 'node:crypto';

/**
 * Azure Storage Shared Key (the full scheme, not Lite) for Blob, Queue and File requests: an
 * HMAC-SHA256, with the account's base64 key, over the verb, twelve standard headers (an empty
 * line each when absent; Content-Length empty when 0), the `x-ms-*` headers and the resource.
 * The rules are those of "Authorize with Shared Key" (Azure Storage REST docs); azurite checks
 * every signature the tests send.
 */

export interface AzureAccount {
  account: string;
  /** The account key as the portal shows it (base64). */
  key: string;
}

const STANDARD = ['content-encoding', 'content-language', 'content-length', 'content-md5', 'content-type', 'date', 'if-modified-since', 'if-match', 'if-none-match', 'if-unmodified-since', 'range'];

const decode = (s: string) => {
  try {
    return decodeURIComponent(s.replace(/\+/g, '%20'));
  } catch {
    return s;
  }
};

/** `/account/path` then one `\nname:v1,v2` line per query parameter (names lower-cased, sorted). */
function canonicalResource(account: string, path: string, query: ReadonlyArray<readonly [string, string]>): string {
  let out = `/${account}${path}`;
  const byName = new Map<string, string[]>();
  for (const [k, v] of query) {
    const name = k.toLowerCase();
    byName.set(name, [...(byName.get(name) ?? []), v]);
  }
  for (const name of [...byName.keys()].sort()) out += `\n${name}:${byName.get(name)!.sort().join(',')}`;
  return out;
}

export interface SharedKeyTarget {
  method: string;
  /** The path as sent (encoded), e.g. `/container/dir/blob.txt` (or `/account/container/…` on an emulator). */
  path: string;
  /** Query as sent, encoded pairs are decoded here. */
  rawQuery: string;
  /** Lower-case names; `content-length` included when there is a body. */
  headers: Readonly<Record<string, string>>;
}

/** The headers to add: `x-ms-date` and `authorization: SharedKey account:signature`. */
export function signSharedKey(t: SharedKeyTarget, acct: AzureAccount, now = new Date()): Record<string, string> {
  const added = { 'x-ms-date': now.toUTCString() };
  const all: Record<string, string> = { ...t.headers, ...added };
  const standard = STANDARD.map((h) => {
    const v = all[h] ?? '';
    return h === 'content-length' && v === '0' ? '' : v;
  });
  const msHeaders = Object.keys(all)
    .filter((h) => h.startsWith('x-ms-'))
    .sort()
    .map((h) => `${h}:${all[h]!.replace(/\s+/g, ' ').trim()}\n`)
    .join('');
  const query = t.rawQuery ? t.rawQuery.split('&').filter(Boolean).map((p) => {
    const i = p.indexOf('=');
    return [decode(i < 0 ? p : p.slice(0, i)), decode(i < 0 ? '' : p.slice(i + 1))] as const;
  }) : [];
  const toSign = `${[t.method.toUpperCase(), ...standard].join('\n')}\n${msHeaders}${canonicalResource(acct.account, t.path, query)}`;
  const signature = createHmac('sha256', Buffer.from(acct.key, 'base64')).update(toSign, 'utf8').digest('base64');
  return { ...added, authorization: `SharedKey ${acct.account}:${signature}` };
}
