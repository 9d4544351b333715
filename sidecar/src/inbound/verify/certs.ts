import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { SignatureError, UpstreamError } from './errors';

/** What a provider demands of a signing certificate and the URL it comes from. */
export interface CertPolicy {
  /** Cache namespace, e.g. "paypal". */
  name: string;
  /** Allowed host names for the certificate URL (always https, default port). */
  host: (hostname: string) => boolean;
  /** Optional path rule for the URL. */
  path?: RegExp;
  /** Require a chain from the leaf through the bundle's intermediates to a trusted root. */
  chain: boolean;
  /** Extra check on the leaf (e.g. its name is under paypal.com). */
  leaf?: (cert: X509Certificate) => boolean;
}

export interface CertStoreOptions {
  /** @defaultValue globalThis.fetch */
  fetch?: typeof fetch;
  /** PEM roots for `chain` policies. @defaultValue Node's bundled Mozilla roots (tls.rootCertificates) */
  trustRoots?: readonly string[];
  /** How long a verified certificate is reused. @defaultValue 1 hour */
  ttlMs?: number;
  /** Per-fetch timeout. @defaultValue 5000 */
  timeoutMs?: number;
}

const MAX_PEM_BYTES = 64 * 1024;
const FAILURE_TTL_MS = 60_000;
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

const validAt = (c: X509Certificate, ms: number) => Date.parse(c.validFrom) <= ms && ms <= Date.parse(c.validTo);

/**
 * Fetches, checks and caches provider signing certificates (PayPal, SNS). The URL comes from
 * an unauthenticated request header, so it is checked against the policy before any network
 * access, fetches are single-flight per URL, and failures are remembered for a minute so
 * forged headers cannot turn the sidecar into a request amplifier.
 */
export class CertStore {
  private readonly fetchImpl: typeof fetch;
  private readonly ttlMs: number;
  private readonly timeoutMs: number;
  private readonly rootPems: readonly string[];
  private roots: X509Certificate[] | null = null;
  private readonly verified = new Map<string, { leaf: X509Certificate; until: number }>();
  private readonly inFlight = new Map<string, Promise<X509Certificate[]>>();
  private readonly failed = new Map<string, number>();

  constructor(opts: CertStoreOptions = {}) {
    this.fetchImpl = opts.fetch ?? fetch;
    this.ttlMs = opts.ttlMs ?? 3_600_000;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.rootPems = opts.trustRoots ?? rootCertificates;
  }

  /** The leaf certificate at `rawUrl`, checked against `policy` at time `nowMs`. */
  async leaf(rawUrl: string, policy: CertPolicy, nowMs: number): Promise<X509Certificate> {
    const url = checkUrl(rawUrl, policy);
    const key = `${policy.name}|${url}`;
    const hit = this.verified.get(key);
    if (hit && nowMs < hit.until && validAt(hit.leaf, nowMs)) return hit.leaf;
    if ((this.failed.get(key) ?? 0) > nowMs) throw new SignatureError('The signing certificate could not be verified recently.');
    try {
      const chain = await this.download(url);
      const leaf = chain[0]!;
      if (!validAt(leaf, nowMs)) throw new SignatureError('The signing certificate is expired or not yet valid.');
      if (policy.chain && !this.chainsToRoot(chain, nowMs)) throw new SignatureError('The signing certificate does not chain to a trusted root.');
      if (policy.leaf && !policy.leaf(leaf)) throw new SignatureError('The signing certificate is not issued to the provider.');
      if (this.verified.size > 1000) this.verified.clear();
      this.verified.set(key, { leaf, until: Math.min(nowMs + this.ttlMs, Date.parse(leaf.validTo)) });
      return leaf;
    } catch (err) {
      if (this.failed.size > 1000) this.failed.clear();
      this.failed.set(key, nowMs + FAILURE_TTL_MS);
      throw err;
    }
  }

  private download(url: string): Promise<X509Certificate[]> {
    let p = this.inFlight.get(url);
    if (!p) {
      p = this.fetchPem(url).finally(() => this.inFlight.delete(url));
      this.inFlight.set(url, p);
    }
    return p;
  }

  private async fetchPem(url: string): Promise<X509Certificate[]> {
    let text: string;
    try {
      const res = await this.fetchImpl(url, { signal: AbortSignal.timeout(this.timeoutMs), redirect: 'error' });
      if (!res.ok) throw new UpstreamError(`The certificate URL answered ${res.status}.`);
      text = await res.text();
    } catch (err) {
      if (err instanceof UpstreamError) throw err;
      throw new UpstreamError(`The certificate URL could not be fetched: ${(err as Error).message}`);
    }
    if (text.length > MAX_PEM_BYTES) throw new SignatureError('The certificate document is too large.');
    const blocks = text.match(PEM_BLOCK) ?? [];
    try {
      const chain = blocks.map((b) => new X509Certificate(b));
      if (chain.length === 0) throw new Error('no certificate');
      return chain;
    } catch {
      throw new SignatureError('The certificate URL did not return a PEM certificate.');
    }
  }

  /** Leaf → intermediates from the same document → a trusted root, each link signed and valid. */
  private chainsToRoot(chain: X509Certificate[], nowMs: number): boolean {
    this.roots ??= this.rootPems.map((p) => new X509Certificate(p));
    const pool = chain.slice(1).filter((c) => c.ca && validAt(c, nowMs));
    let cur = chain[0]!;
    for (let depth = 0; depth < 6; depth++) {
      if (this.roots.some((r) => validAt(r, nowMs) && cur.checkIssued(r) && cur.verify(r.publicKey))) return true;
      const next = pool.find((c) => c !== cur && cur.checkIssued(c) && cur.verify(c.publicKey));
      if (!next) return false;
      cur = next;
    }
    return false;
  }
}

function checkUrl(raw: string, policy: CertPolicy): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SignatureError('The certificate URL is not a URL.');
  }
  const ok =
    url.protocol === 'https:' &&
    url.port === '' &&
    url.username === '' &&
    url.password === '' &&
    policy.host(url.hostname.toLowerCase()) &&
    (!policy.path || policy.path.test(url.pathname));
  if (!ok) throw new SignatureError(`The certificate URL is not an allowed ${policy.name} https URL.`);
  return url.href;
}

/** True when the certificate's CN or a DNS subjectAltName is `domain` or under it. */
export function namedUnder(cert: X509Certificate, domain: string): boolean {
  const names = (cert.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  if (cn) names.push(cn);
  return names.some((n) => n.toLowerCase() === domain || n.toLowerCase().endsWith(`.${domain}`));
}
