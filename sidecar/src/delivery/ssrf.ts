import type { LookupAddress } from 'node:dns';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, isIPv4, type LookupFunction } from 'node:net';

/**
 * SSRF guard for outbound deliveries (DESIGN §3). Endpoint URLs come from site users, so the
 * sidecar must not become a way to reach loopback services, the LAN, or cloud metadata.
 *
 * The check runs inside the socket's `lookup`, on the addresses the socket then connects to:
 * there is no window between "validate" and "connect" for DNS rebinding. IP literals skip
 * `lookup` in `net.connect`, so {@link SsrfGuard.checkHost} covers them before the request.
 * Hostnames reach us already normalised by the WHATWG URL parser, which turns decimal, octal
 * and hex IPv4 forms (`2130706433`, `0177.0.0.1`, `0x7f.1`) into dotted quads.
 */

export class SsrfRefusedError extends Error {
  override name = 'SsrfRefusedError';
  readonly code = 'ERR_SSRF_REFUSED';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly reason: string,
  ) {
    super(`refused to connect to ${host === address ? host : `${host} (${address})`}: ${reason}`);
  }
}

interface V4Range {
  net: number;
  mask: number;
  reason: string;
}

const v4ToInt = (ip: string) => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);

/** First match wins, so the more specific entries come first. */
const V4_RANGES: V4Range[] = (
  [
    ['255.255.255.255', 32, 'broadcast'],
    ['169.254.169.254', 32, 'cloud metadata'],
    ['0.0.0.0', 8, '"this network"'],
    ['10.0.0.0', 8, 'private'],
    ['100.64.0.0', 10, 'shared (CGNAT)'],
    ['127.0.0.0', 8, 'loopback'],
    ['169.254.0.0', 16, 'link-local'],
    ['172.16.0.0', 12, 'private'],
    ['192.0.0.0', 24, 'IETF protocol assignment'],
    ['192.0.2.0', 24, 'documentation'],
    ['192.88.99.0', 24, '6to4 relay anycast'],
    ['192.168.0.0', 16, 'private'],
    ['198.18.0.0', 15, 'benchmarking'],
    ['198.51.100.0', 24, 'documentation'],
    ['203.0.113.0', 24, 'documentation'],
    ['224.0.0.0', 4, 'multicast'],
    ['240.0.0.0', 4, 'reserved'],
  ] as const
).map(([net, bits, reason]) => {
  const mask = (0xffffffff << (32 - bits)) >>> 0;
  return { net: (v4ToInt(net) & mask) >>> 0, mask, reason };
});

function forbiddenV4(n: number): string | null {
  for (const r of V4_RANGES) if (((n & r.mask) >>> 0) === r.net) return r.reason;
  return null;
}

/** Eight 16-bit words. Input must already satisfy `isIPv6` (zone id removed). */
function v6Words(ip: string): number[] {
  let head = ip;
  let tail: number[] = [];
  const lastColon = ip.lastIndexOf(':');
  if (ip.includes('.', lastColon)) {
    const n = v4ToInt(ip.slice(lastColon + 1));
    tail = [Math.floor(n / 0x10000), n % 0x10000];
    head = ip.slice(0, lastColon + 1);
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const hex = (part: string) => (part ? part.split(':').map((w) => parseInt(w, 16)) : []);
  const [left = '', right] = head.split('::');
  const l = hex(left);
  if (right === undefined) return [...l, ...tail];
  const r = hex(right);
  return [...l, ...new Array<number>(8 - l.length - r.length - tail.length).fill(0), ...r, ...tail];
}

type V6Rule = { words: number[]; bits: number } & (
  | { reason: string }
  /** The prefix embeds an IPv4 address at word `at`: judged by that address. */
  | { embedsV4At: number; label: string }
);

const v6 = (prefix: string, bits: number) => ({ words: v6Words(prefix), bits });

/** First match wins. Anything outside 2000::/3 not listed is refused as reserved. */
const V6_RULES: V6Rule[] = [
  { ...v6('::', 128), reason: 'unspecified' },
  { ...v6('::1', 128), reason: 'loopback' },
  { ...v6('::ffff:0:0', 96), embedsV4At: 6, label: 'IPv4-mapped' },
  { ...v6('::', 96), reason: 'IPv4-compatible (deprecated)' },
  { ...v6('64:ff9b::', 96), embedsV4At: 6, label: 'NAT64' },
  { ...v6('64:ff9b:1::', 48), reason: 'NAT64 local-use' },
  { ...v6('100::', 64), reason: 'discard-only' },
  { ...v6('2001::', 32), reason: 'Teredo' },
  { ...v6('2001::', 23), reason: 'IETF protocol assignment' },
  { ...v6('2001:db8::', 32), reason: 'documentation' },
  { ...v6('3fff::', 20), reason: 'documentation' },
  { ...v6('2002::', 16), embedsV4At: 1, label: '6to4' },
  { ...v6('fd00:ec2::254', 128), reason: 'cloud metadata' },
  { ...v6('fc00::', 7), reason: 'unique local' },
  { ...v6('fe80::', 10), reason: 'link-local' },
  { ...v6('fec0::', 10), reason: 'site-local (deprecated)' },
  { ...v6('ff00::', 8), reason: 'multicast' },
];
const GLOBAL_UNICAST = v6('2000::', 3);

function inPrefix(w: number[], p: { words: number[]; bits: number }): boolean {
  for (let i = 0; i < 8; i++) {
    const b = Math.min(16, p.bits - 16 * i);
    if (b <= 0) return true;
    const mask = (0xffff << (16 - b)) & 0xffff;
    if ((w[i]! & mask) !== (p.words[i]! & mask)) return false;
  }
  return true;
}

function forbiddenV6(ip: string): string | null {
  const w = v6Words(ip);
  for (const rule of V6_RULES) {
    if (!inPrefix(w, rule)) continue;
    if ('reason' in rule) return rule.reason;
    const reason = forbiddenV4(w[rule.embedsV4At]! * 0x10000 + w[rule.embedsV4At + 1]!);
    return reason && `${rule.label} ${reason}`;
  }
  return inPrefix(w, GLOBAL_UNICAST) ? null : 'reserved';
}

/** Strips URL brackets and an IPv6 zone id (`fe80::1%eth0`): neither changes where we connect. */
const bare = (ip: string) => ip.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');

/**
 * Why `ip` must not be connected to, or null if it is a public address. Accepts IPv4,
 * IPv6 (with or without URL brackets); anything else is refused as "not an IP address".
 */
export function isForbiddenAddress(ip: string): string | null {
  const a = bare(ip);
  if (isIPv4(a)) return forbiddenV4(v4ToInt(a));
  if (isIP(a) === 6) return forbiddenV6(a.toLowerCase());
  return 'not an IP address';
}

/** One spelling per address and host so allow-list lookups match however it was written. */
function canonicalHost(host: string): string {
  const h = bare(host.trim().toLowerCase()).replace(/\.$/, '');
  return isIP(h) === 6 ? bare(new URL(`http://[${h}]`).hostname) : h;
}

export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export interface SsrfGuardOptions {
  /** Allow every address: loopback, private, link-local, metadata (`OUTBOUND_ALLOW_PRIVATE`). @defaultValue false */
  allowPrivate: boolean;
  /**
   * Host names and IP literals exempt from the guard (`OUTBOUND_ALLOW_HOSTS`). A listed host
   * name may resolve anywhere; a listed IP is allowed whichever name resolved to it.
   */
  allowHosts: string[];
  /** Name resolution; injected by tests. @defaultValue `dns.lookup(hostname, {all: true})` */
  resolve?: Resolver;
}

export interface SsrfGuard {
  /**
   * For the hostname of a parsed URL, before the request: throws {@link SsrfRefusedError} for
   * a forbidden IP literal (which never reaches `lookup`). Host names pass; `lookup` judges them.
   */
  checkHost(hostname: string): void;
  /** A `net.connect` lookup that refuses a name if ANY of its addresses is forbidden, and pins the first. */
  lookup: LookupFunction;
}

const systemResolve: Resolver = (hostname) => dnsLookup(hostname, { all: true });

export function createSsrfGuard(opts: SsrfGuardOptions): SsrfGuard {
  const allowed = new Set(opts.allowHosts.map(canonicalHost));
  const resolve = opts.resolve ?? systemResolve;
  const exempt = (host: string) => opts.allowPrivate || allowed.has(canonicalHost(host));

  function refusal(host: string, address: string): SsrfRefusedError | null {
    if (exempt(address)) return null;
    const reason = isForbiddenAddress(address);
    return reason === null ? null : new SsrfRefusedError(host, bare(address), reason);
  }

  async function resolveChecked(hostname: string, family: number): Promise<LookupAddress> {
    const addresses = await resolve(hostname);
    if (!exempt(hostname)) {
      for (const a of addresses) {
        const err = refusal(hostname, a.address);
        if (err) throw err;
      }
    }
    const pinned = addresses.find((a) => family === 0 || a.family === family);
    if (!pinned) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', hostname });
    return pinned;
  }

  return {
    checkHost(hostname) {
      if (isIP(bare(hostname)) === 0) return;
      const err = refusal(bare(hostname), hostname);
      if (err) throw err;
    },
    lookup(hostname, options, cb) {
      const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : Number(options.family ?? 0);
      resolveChecked(hostname, family).then(
        (a) => (options.all ? cb(null, [a]) : cb(null, a.address, a.family)),
        (err: NodeJS.ErrnoException) => cb(err, options.all ? [] : ''),
      );
    },
  };
}
