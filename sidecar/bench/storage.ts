/**
 * `npm run bench:storage`: object uploads and downloads through the sidecar's streaming route
 * (`PUT`/`GET /v1/connections/{id}/objects/{key}`, an amazon_s3 connection) against the same
 * transfers made directly with the AWS SDK (`@aws-sdk/client-s3`), to the same local S3 peer
 * (moto server, a child process), in the same run.
 *  - files: BENCH_SMALL_FILES (200) of 1 MiB, BENCH_CONCURRENCY (8) in flight, then 2 of
 *    BENCH_LARGE_MIB (64) MiB side by side; each path writes its own keys;
 *  - order: uploads in four rounds, direct, sidecar, sidecar, direct (ABBA), then downloads the
 *    same way; MiB/s per path over the bytes of its two rounds (wall time); `ratio` is the lower
 *    of sidecar/direct for upload and download;
 *  - rss_mb: the sidecar process's peak resident memory (VmHWM) over the run; rss_base_mb: its
 *    resident memory before the first transfer; rss_64mib_mb: the highest resident memory sampled
 *    (every 50 ms) while the two large files went through it (run with BENCH_LARGE_MIB=256 to
 *    see that it does not follow the file size). Buffered whole, two files would add
 *    at least 128 MiB (twice that counting copies); streamed, a 64 MiB upload (declared size)
 *    is written to the spool file as it arrives (UPLOAD_SPOOL_DIR, default the OS temp dir) and
 *    sent from it as one PutObject signed whole, as the SDK sends it, and a download holds a few
 *    socket buffers, whatever the file's size.
 *  - like for like: both paths sign the payload's SHA-256 (the SDK hashes each body whole; the
 *    sidecar hashes the 1 MiB bodies whole and the 64 MiB ones on their way to the spool file);
 *    both send one PUT per file; both clients send over node:http with keep-alive (the SDK's
 *    transport).
 * moto is slow itself (Python); both paths pay it. Not a test. The last line is JSON.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { dropPrefix } from '../test/helpers';
import { startMoto } from '../test/connections/moto';
import { cpuMsOf, REDIS_URL, startBenchSidecar } from './processes';

const SMALL = Number(process.env.BENCH_SMALL_FILES ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
/** Size of each of the two large files, in MiB (64; raise it to see that the sidecar's memory does not follow). */
const LARGE_MIB = Number(process.env.BENCH_LARGE_MIB ?? 64);
const MiB = 1024 * 1024;
const TOKEN = 'bench-token-0123456789abcdef';
const CREDS = { accessKeyId: 'AKIABENCH0000000000', secretAccessKey: 'bench-secret-key' };

const memKb = (pid: number, field: 'VmRSS' | 'VmHWM') => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

/** `n` jobs, `width` at a time. */
async function pool(n: number, width: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, n) }, async () => {
    for (let i = next++; i < n; i = next++) await job(i);
  }));
}

async function main() {
  const moto = await startMoto();
  const prefix = `bench-storage-${Date.now()}`;
  // UPLOAD_SPOOL_DIR=off measures the path without disk (64 MiB uploads chunk-signed as they pass).
  const spool: Record<string, string> = process.env.UPLOAD_SPOOL_DIR ? { UPLOAD_SPOOL_DIR: process.env.UPLOAD_SPOOL_DIR } : {};
  const sc = await startBenchSidecar(prefix, TOKEN, { OUTBOUND_ALLOW_PRIVATE: 'true', ...spool });
  const keepAlive = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const api = (path: string, init: RequestInit = {}) => fetch(`${sc.url}${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, ...(init.headers as Record<string, string>) } });
  try {
    const sdk = new S3Client({ endpoint: moto.url, forcePathStyle: true, region: 'us-east-1', credentials: CREDS });
    await sdk.send(new CreateBucketCommand({ Bucket: 'bench' }));
    const put = await api('/v1/connections/bench-s3', {
      method: 'PUT', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ base_url: `${moto.url}/bench`, provider: 'amazon_s3', timeout_ms: 120_000, auth: { type: 'aws_sigv4', access_key_id: CREDS.accessKeyId, secret_access_key: CREDS.secretAccessKey, region: 'us-east-1', service: 's3' } }),
    });
    if (put.status !== 200) throw new Error(`connection: ${put.status} ${await put.text()}`);

    const small = Array.from({ length: SMALL }, () => randomBytes(MiB));
    const large = [randomBytes(LARGE_MIB * MiB), randomBytes(LARGE_MIB * MiB)];
    const bytes = SMALL * MiB + 2 * LARGE_MIB * MiB;
    const r2 = (x: number) => Math.round(x * 100) / 100;
    const rssBase = memKb(sc.child.pid!, 'VmRSS');

    // node:http, as the SDK's own transport sends the direct path's bodies: `fetch` copies a
    // Buffer body before sending it (≈ 100 ms per 64 MiB file here), a cost of the client, not
    // of the route, that the direct path does not pay.
    const sidecarPut = (key: string, body: Buffer) => new Promise<void>((ok, fail) => {
      const req = request(`${sc.url}/v1/connections/bench-s3/objects/${key}`, {
        method: 'PUT', agent: keepAlive,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream', 'content-length': body.length },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => (res.statusCode === 201 ? ok() : fail(new Error(`sidecar PUT ${key}: ${res.statusCode} ${Buffer.concat(chunks).toString()}`))));
      });
      req.on('error', fail);
      req.end(body);
    });
    const sidecarGet = async (key: string, size: number) => {
      const r = await api(`/v1/connections/bench-s3/objects/${key}`);
      if (r.status !== 200) throw new Error(`sidecar GET ${key}: ${r.status}`);
      let got = 0;
      for await (const c of r.body!) got += (c as Uint8Array).length;
      if (got !== size) throw new Error(`sidecar GET ${key}: ${got} bytes`);
    };
    const directPut = async (key: string, body: Buffer) => {
      await sdk.send(new PutObjectCommand({ Bucket: 'bench', Key: key, Body: body, ContentType: 'application/octet-stream' }));
    };
    const directGet = async (key: string, size: number) => {
      const r = await sdk.send(new GetObjectCommand({ Bucket: 'bench', Key: key }));
      let got = 0;
      for await (const c of r.Body as AsyncIterable<Uint8Array>) got += c.length;
      if (got !== size) throw new Error(`direct GET ${key}: ${got} bytes`);
    };
    let rss64 = 0;
    const sampling = async <T>(run: () => Promise<T>): Promise<T> => {
      const timer = setInterval(() => (rss64 = Math.max(rss64, memKb(sc.child.pid!, 'VmRSS'))), 50);
      try {
        return await run();
      } finally {
        clearInterval(timer);
      }
    };
    // ABBA: each path goes once before and once after the other, so neither alone pays for the
    // state the store is in by then (run one after the other, the second path's 64 MiB PUTs were
    // answered up to 2× slower by moto, whichever path it was).
    const ORDER = ['direct', 'sidecar', 'sidecar', 'direct'] as const;
    type Arm = (typeof ORDER)[number];
    const firstRound = (arm: Arm) => ORDER.indexOf(arm);
    const spent = () => ({ small: 0, large: 0, cpuMs: 0 });
    const timings = { upload: { direct: spent(), sidecar: spent() }, download: { direct: spent(), sidecar: spent() } };
    const rounds = async (kind: 'upload' | 'download', run: (arm: Arm, round: number) => { small: (i: number) => Promise<void>; large: (i: number) => Promise<void> }) => {
      for (const [round, arm] of ORDER.entries()) {
        const t = timings[kind][arm];
        const jobs = run(arm, round);
        const cpu0 = cpuMsOf(sc.child.pid!);
        const t0 = performance.now();
        await pool(SMALL, CONCURRENCY, jobs.small);
        const t1 = performance.now();
        const large = () => Promise.all([0, 1].map(jobs.large));
        // Only the sidecar's transfers count for its memory.
        await (arm === 'sidecar' ? sampling(large) : large());
        t.small += (t1 - t0) / 1000;
        t.large += (performance.now() - t1) / 1000;
        t.cpuMs += cpuMsOf(sc.child.pid!) - cpu0;
      }
      for (const arm of ['direct', 'sidecar'] as const) {
        const t = timings[kind][arm];
        console.log(`  ${arm} ${kind}: 1 MiB files ${r2((2 * SMALL) / t.small)} MiB/s, ${LARGE_MIB} MiB files ${r2((4 * LARGE_MIB) / t.large)} MiB/s`);
      }
    };
    const sends = { direct: directPut, sidecar: sidecarPut };
    const gets = { direct: directGet, sidecar: sidecarGet };
    await rounds('upload', (arm, round) => ({
      small: (i) => sends[arm](`${arm}-${round}/small-${i}.bin`, small[i]!),
      large: (i) => sends[arm](`${arm}-${round}/large-${i}.bin`, large[i]!),
    }));
    // Each download round reads what the same path stored in its first upload round.
    await rounds('download', (arm) => ({
      small: (i) => gets[arm](`${arm}-${firstRound(arm)}/small-${i}.bin`, MiB),
      large: (i) => gets[arm](`${arm}-${firstRound(arm)}/large-${i}.bin`, LARGE_MIB * MiB),
    }));
    const rate = (t: { small: number; large: number }) => (2 * bytes) / MiB / (t.small + t.large);
    const directUp = rate(timings.upload.direct);
    const up = rate(timings.upload.sidecar);
    const directDown = rate(timings.download.direct);
    const down = rate(timings.download.sidecar);
    const upCpuMsPerMiB = timings.upload.sidecar.cpuMs / ((2 * bytes) / MiB);
    const downCpuMsPerMiB = timings.download.sidecar.cpuMs / ((2 * bytes) / MiB);
    const rssPeak = memKb(sc.child.pid!, 'VmHWM');

    console.log(`files: ${SMALL} × 1 MiB (${CONCURRENCY} in flight) + 2 × ${LARGE_MIB} MiB; ${bytes / MiB} MiB per round, rounds ${ORDER.join(', ')}`);
    console.log(`upload   direct ${r2(directUp)} MiB/s   sidecar ${r2(up)} MiB/s`);
    console.log(`download direct ${r2(directDown)} MiB/s   sidecar ${r2(down)} MiB/s`);
    console.log(`sidecar CPU: ${r2(upCpuMsPerMiB)} ms per MiB uploaded, ${r2(downCpuMsPerMiB)} ms per MiB downloaded`);
    console.log(`sidecar RSS: ${r2(rssBase / 1024)} MB before, ${r2(rss64 / 1024)} MB at most during the ${LARGE_MIB} MiB transfers, ${r2(rssPeak / 1024)} MB peak`);
    console.log(JSON.stringify({
      upload_mib_s: r2(up), direct_upload_mib_s: r2(directUp), download_mib_s: r2(down), direct_download_mib_s: r2(directDown),
      ratio: r2(Math.min(up / directUp, down / directDown)), rss_mb: r2(rssPeak / 1024), rss_base_mb: r2(rssBase / 1024), rss_64mib_mb: r2(rss64 / 1024),
    }));
  } finally {
    // SIGTERM, not the exit handler's SIGKILL: a sidecar run with --cpu-prof writes its profile as it stops.
    const exited = new Promise((ok) => sc.child.once('exit', ok));
    sc.child.kill('SIGTERM');
    await Promise.race([exited, new Promise((ok) => setTimeout(ok, 10_000))]);
    await moto.stop();
    await dropPrefix(prefix, REDIS_URL);
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
