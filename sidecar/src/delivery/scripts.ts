import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/**
 * The engine's Lua scripts (in ./lua, one file each, commented there). Each runs atomically
 * in Redis and replaces several round trips on the hot path. Keys are built inside the
 * scripts from a base for per-message lists, which is fine on one Redis (as BullMQ itself
 * needs) but not on Redis Cluster.
 */
const SCRIPTS = {
  dlAccept: { file: 'accept.lua', keys: 1 },
  dlGate: { file: 'gate.lua', keys: 1 },
  dlFinish: { file: 'finish.lua', keys: 8 },
  dlGateBatch: { file: 'gate_batch.lua', keys: 1 },
  dlFinishBatch: { file: 'finish_batch.lua', keys: 2 },
} as const;

type Arg = string | number;
type Call = (...args: Arg[]) => Promise<unknown>;

const source = (file: string) => readFileSync(new URL(`./lua/${file}`, import.meta.url), 'utf8');
const requeueSource = source('requeue.lua');

export interface Scripts {
  accept(keys: [string], args: Arg[]): Promise<string[]>;
  gate(keys: string[], args: Arg[]): Promise<[string, ...Array<string | number>]>;
  finish(keys: string[], args: Arg[]): Promise<[string, number, string, string, number]>;
  gateBatch(keys: [string], args: Arg[]): Promise<Array<string | number>>;
  finishBatch(keys: [string, string], args: Arg[]): Promise<Array<string | number>>;
  /** Variable key count (the sets to drain), so it goes through EVAL(SHA) directly. */
  requeue(keys: string[], args: Arg[]): Promise<Array<string | number>>;
}

export function loadScripts(redis: Redis): Scripts {
  for (const [name, s] of Object.entries(SCRIPTS)) {
    if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: s.keys, lua: source(s.file) });
  }
  const call = (name: keyof typeof SCRIPTS) => (redis as unknown as Record<string, Call>)[name]!.bind(redis);
  const accept = call('dlAccept');
  const gate = call('dlGate');
  const finish = call('dlFinish');
  const gateBatch = call('dlGateBatch');
  const finishBatch = call('dlFinishBatch');
  return {
    accept: (keys, args) => accept(...keys, ...args) as Promise<string[]>,
    gate: (keys, args) => gate(...keys, ...args) as ReturnType<Scripts['gate']>,
    finish: (keys, args) => finish(...keys, ...args) as ReturnType<Scripts['finish']>,
    gateBatch: (keys, args) => gateBatch(...keys, ...args) as Promise<Array<string | number>>,
    finishBatch: (keys, args) => finishBatch(...keys, ...args) as Promise<Array<string | number>>,
    requeue: (keys, args) => redis.eval(requeueSource, keys.length, ...keys, ...args) as Promise<Array<string | number>>,
  };
}
