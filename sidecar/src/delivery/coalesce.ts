import type { Redis } from 'ioredis';
import type { Writable } from 'node:stream';

const PATCHED = Symbol('coalescedWrites');
type Stream = Writable & { [PATCHED]?: true };

/**
 * Coalesces a connection's writes per event-loop turn: the first write of a turn corks the
 * socket and a `setImmediate` uncorks it, so every command issued while the loop works
 * through its I/O callbacks leaves in one `writev`. ioredis otherwise does one `write`
 * syscall per command (auto-pipelining only joins commands of the same tick), and the
 * profiler showed those syscalls as the largest single cost of the worker (≈15% of its busy
 * CPU: BullMQ's fetch/complete scripts and our gate/finish, one write each). Order is unchanged
 * and nothing waits longer than the current loop turn. Re-applied on every reconnect (a new
 * socket). Used only on the engine's own script connection (gate/finish, each awaited before
 * anything depends on it). Not on BullMQ's worker connection: there it let the rate-limit test's
 * spacing collapse (BullMQ's delayed/marker handling spans that connection and its blocking
 * duplicate, whose relative write order this changes), so it is left alone.
 */
export function coalesceWrites<T extends Redis>(redis: T): T {
  const patch = () => {
    const stream = (redis as unknown as { stream?: Stream }).stream;
    if (!stream || stream[PATCHED]) return;
    stream[PATCHED] = true;
    const write = stream.write;
    let corked = false;
    const flush = () => {
      corked = false;
      stream.uncork();
    };
    stream.write = function (this: Stream, ...args: Parameters<Writable['write']>) {
      if (!corked) {
        corked = true;
        stream.cork();
        setImmediate(flush);
      }
      return write.apply(this, args);
    } as Writable['write'];
  };
  redis.on('connect', patch);
  patch();
  return redis;
}
