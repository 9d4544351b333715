import { resolve } from 'node:path';
import { spawnServer } from '../spawned-server';

/** Where `scripts/lib.sh ensure_python_venv` installs it (`pip install 'moto[server]'`). */
export const MOTO_SERVER = resolve(import.meta.dirname, '../../../.venv/bin/moto_server');

export interface MotoServer {
  url: string;
  output: string;
  stop(): Promise<void>;
}

/**
 * moto's AWS emulator as a child process on 127.0.0.1. With `noAuthActions` set, moto serves
 * that many requests unauthenticated (to create IAM users and keys), then checks every
 * request's access key and SigV4 signature as AWS would (`INITIAL_NO_AUTH_ACTION_COUNT`).
 * Throws, never skips, when moto is not installed or does not come up.
 */
export async function startMoto(o: { noAuthActions?: number } = {}): Promise<MotoServer> {
  const s = await spawnServer({
    name: 'moto',
    command: MOTO_SERVER,
    install: 'run `source scripts/lib.sh && ensure_python_venv` (or npm test, which does) from the repository root',
    args: (port) => ['-H', '127.0.0.1', '-p', String(port)],
    env: o.noAuthActions === undefined ? {} : { INITIAL_NO_AUTH_ACTION_COUNT: String(o.noAuthActions) },
    // moto's own dashboard API: answers once the server is up, and is not an AWS action (it does not use up the unauthenticated ones).
    probe: '/moto-api/',
  });
  return { url: s.origin, get output() { return s.output; }, stop: () => s.stop() };
}

/**
 * Spends a moto server's three unauthenticated actions (see `startMoto({ noAuthActions: 3 })`)
 * on an IAM user allowed everything, through the harness's proxy; returns its access key.
 */
export async function motoUser(moto: MotoServer, h: { put(id: string, body: Record<string, unknown>): Promise<unknown>; proxy(id: string, body: Record<string, unknown>): Promise<{ status: number; body: Record<string, any> }> }): Promise<{ id: string; secret: string }> {
  await h.put('moto-iam-setup', { base_url: moto.url, auth: { type: 'aws_sigv4', access_key_id: 'AKIAIOSFODNN7EXAMPLE', secret_access_key: 'setup-secret', region: 'us-east-1', service: 'iam' } });
  const call = (params: Record<string, string>) => h.proxy('moto-iam-setup', {
    method: 'POST', path: '/', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: new URLSearchParams({ ...params, Version: '2010-05-08' }).toString(),
  });
  const steps = [
    await call({ Action: 'CreateUser', UserName: 'sidecar' }),
    await call({ Action: 'CreateAccessKey', UserName: 'sidecar' }),
    await call({ Action: 'PutUserPolicy', UserName: 'sidecar', PolicyName: 'all', PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }) }),
  ];
  if (steps.some((s) => s.body.status !== 200)) throw new Error(`moto IAM setup failed: ${JSON.stringify(steps.map((s) => s.body))}`);
  const xml = steps[1]!.body.body as string;
  return { id: /<AccessKeyId>(\w+)<\/AccessKeyId>/.exec(xml)![1]!, secret: /<SecretAccessKey>([^<]+)<\/SecretAccessKey>/.exec(xml)![1]! };
}
