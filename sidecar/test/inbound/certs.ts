import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyPair {
  cert: string;
  key: string;
}

export interface TestPki {
  root: string;
  intermediate: string;
  /** *.paypal.com leaf issued by the intermediate. */
  paypal: KeyPair;
  /** Leaf with a non-PayPal name, issued by the same intermediate. */
  impostor: KeyPair;
  /** PayPal-named leaf from a CA nobody trusts (self-signed root of its own). */
  rogue: KeyPair;
  /** SNS signing certificate. */
  sns: KeyPair;
}

/** A throwaway CA → intermediate → leaves, made with the openssl CLI for PayPal and SNS tests. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'ia-pki-'));
  const f = (n: string) => join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ext = (name: string, text: string) => writeFileSync(f(name), text);
  try {
    const root = (name: string, cn: string) =>
      ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${cn}`,
        '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
    const issue = (name: string, cn: string, issuer: string, extText: string) => {
      ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
      ext(`${name}.ext`, extText);
      ssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${issuer}.pem`, '-CAkey', `${issuer}.key`, '-CAcreateserial',
        '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`);
    };
    const leafExt = (dns: string) => `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectAltName=DNS:${dns}\n`;
    root('root', 'Test Root CA');
    issue('int', 'Test Intermediate CA', 'root', 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
    issue('paypal', 'messageverificationcerts.paypal.com', 'int', leafExt('messageverificationcerts.paypal.com'));
    issue('impostor', 'evil.example.com', 'int', leafExt('evil.example.com'));
    root('rogueca', 'Rogue CA');
    issue('rogue', 'messageverificationcerts.paypal.com', 'rogueca', leafExt('messageverificationcerts.paypal.com'));
    issue('sns', 'sns.us-east-1.amazonaws.com', 'int', leafExt('sns.us-east-1.amazonaws.com'));
    const read = (n: string) => readFileSync(f(n), 'utf8');
    const pair = (n: string): KeyPair => ({ cert: read(`${n}.pem`), key: read(`${n}.key`) });
    return { root: read('root.pem'), intermediate: read('int.pem'), paypal: pair('paypal'), impostor: pair('impostor'), rogue: pair('rogue'), sns: pair('sns') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A fetch that serves fixed documents by URL and records every URL asked for. */
export function stubFetch(docs: Record<string, string>) {
  const asked: string[] = [];
  const impl = (async (input: string | URL | Request) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    asked.push(url);
    const doc = docs[url];
    return doc === undefined ? new Response('not found', { status: 404 }) : new Response(doc, { status: 200 });
  }) as typeof fetch;
  return { fetch: impl, asked };
}
