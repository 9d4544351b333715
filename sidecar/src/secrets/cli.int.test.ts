import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../../test/helpers';
import { loadConfig } from '../config';
import { EndpointStore } from '../delivery/endpoints';
import { DeliveryKeys } from '../delivery/keys';
import { EndpointInput } from '../delivery/schemas';
import { loadKeyRing } from './load';
import { KeyRing, parseKeyList } from './keyring';
import { ConnectionKeys } from '../connections/keys';
import { ConnectionInput } from '../connections/schemas';
import { ConnectionStore } from '../connections/store';
import { createLogger } from '../observability/logger';

const run = promisify(execFile);
const SIDECAR_DIR = resolve(import.meta.dirname, '../..');

describe('key rotation CLI (keys:add, rekey)', () => {
  const prefix = uniquePrefix('cli');
  const dataDir = mkdtempSync(join(tmpdir(), 'ia-cli-'));
  const env = { PATH: process.env.PATH, DATA_DIR: dataDir, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix, LOG_LEVEL: 'silent' };
  const cli = (cmd: string) => run(process.execPath, ['--import', 'tsx', 'src/secrets/cli.ts', cmd], { cwd: SIDECAR_DIR, env });
  const redis = new Redis(TEST_REDIS_URL);
  afterAll(async () => {
    redis.disconnect();
    await dropPrefix(prefix);
  });

  it('adds a newest key to the generated file, and rekey re-seals every stored secret under it', async () => {
    const config = loadConfig(env);
    const before = loadKeyRing(config);
    expect(before.ring.ids).toEqual(['k1']);
    const keys = new DeliveryKeys(prefix);
    await new EndpointStore(redis, keys, before.ring).put('e1', EndpointInput.parse({ url: 'https://x.example/', signing: 'frappe', secrets: ['s3cret-value'] }));
    expect(await redis.hget(keys.endpoint('e1'), 'cfg')).toContain('enc1.k1.');
    const cn = new ConnectionKeys(prefix);
    const connections = new ConnectionStore(redis, cn, before.ring, null, createLogger('silent'));
    await connections.put('c1', ConnectionInput.parse({ base_url: 'https://api.example/', auth: { type: 'oauth2_client_credentials', token_url: 'https://api.example/token', client_id: 'id', client_secret: 'client-s3cret' } }));
    await connections.writeTokens('c1', { access_token: 'at-s3cret', refresh_token: null, token_type: 'Bearer', scope: null, expires_at: Date.now() + 3600_000, obtained_at: Date.now() }, 'connected');

    expect((await cli('add-key')).stdout).toMatch(/Added key k2/);
    expect(readFileSync(before.path!, 'utf8')).toMatch(/^k2:/m);
    const { stdout } = await cli('rekey');
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toMatchObject({ key: 'k2', webhook_endpoints: { scanned: 1, rewritten: 1 }, connections: { scanned: 1, rewritten: 1 } });
    const conn = await redis.hmget(cn.conn('c1'), 'sec', 'tok');
    for (const v of conn) expect(v).toMatch(/^enc1\.k2\./);
    // Under the new ring (old key dropped) everything still opens.
    const k2Only = new KeyRing(parseKeyList(readFileSync(before.path!, 'utf8'), 'file').filter((k) => k.id === 'k2'));
    expect((await new ConnectionStore(redis, cn, k2Only, null, createLogger('silent')).readTokens('c1'))!.access_token).toBe('at-s3cret');
    const raw = (await redis.hget(keys.endpoint('e1'), 'cfg'))!;
    expect(raw).toContain('enc1.k2.');
    expect(raw).not.toContain('enc1.k1.');
    expect(raw).not.toContain('s3cret-value');
  });

  it('rekey without REDIS_URL says what it needs', async () => {
    const err = await run(process.execPath, ['--import', 'tsx', 'src/secrets/cli.ts', 'rekey'], { cwd: SIDECAR_DIR, env: { ...env, REDIS_URL: '' } }).catch((e: { stderr: string }) => e);
    expect((err as { stderr: string }).stderr).toMatch(/rekey needs REDIS_URL/);
  });
});
