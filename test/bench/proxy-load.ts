/**
 * The load generator, in a process of its own so it does not share an event loop with what it
 * measures. Jobs come over IPC: keep-alive GETs on N connections for a while, or one download.
 */
import { Pool, request } from 'undici';

export interface LoadJob {
  readonly kind: 'load';
  readonly origin: string;
  readonly host: string;
  readonly connections: number;
  readonly durationMs: number;
  /** For https:// origins: the CA to verify with, and HTTP/2 by ALPN. */
  readonly ca?: string;
  readonly h2?: boolean;
  /** A new connection (a new TLS handshake) for every request. */
  readonly fresh?: boolean;
}

export interface DownloadJob {
  readonly kind: 'download';
  readonly url: string;
  readonly host: string;
}

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  /** Every latency in ms. */
  readonly latencies: number[];
}

export interface DownloadResult {
  readonly bytes: number;
  readonly seconds: number;
}

const pools = new Map<string, Pool>();

async function load(job: LoadJob): Promise<LoadResult> {
  const key = `${job.origin} ${job.connections} ${job.h2 === true ? 'h2' : 'h1'}`;
  const tls = job.ca === undefined ? {} : { connect: { ca: job.ca, servername: job.host }, allowH2: job.h2 === true };
  let pool = job.fresh === true ? undefined : pools.get(key);
  if (pool === undefined && job.fresh !== true) {
    pool = new Pool(job.origin, { connections: job.connections, pipelining: 1, ...tls });
    pools.set(key, pool);
  }
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + job.durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const t = performance.now();
      // A fresh job opens (and closes) a connection per request: the handshake is in the latency.
      const one = job.fresh === true ? new Pool(job.origin, { connections: 1, pipelining: 1, ...tls }) : (pool as Pool);
      try {
        const { statusCode, body } = await one.request({ path: '/', method: 'GET', headers: { host: job.host } });
        await body.dump();
        if (statusCode !== 200) errors++;
      } catch {
        errors++;
      }
      if (job.fresh === true) await one.close();
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: job.connections }, worker));
  return { requests: latencies.length, errors, seconds: (performance.now() - started) / 1000, latencies };
}

async function download(job: DownloadJob): Promise<DownloadResult> {
  const started = performance.now();
  const { body } = await request(job.url, { headers: { host: job.host } });
  let bytes = 0;
  for await (const chunk of body) bytes += (chunk as Buffer).length;
  return { bytes, seconds: (performance.now() - started) / 1000 };
}

process.on('message', (job: LoadJob | DownloadJob) => {
  const run = job.kind === 'load' ? load(job) : download(job);
  void run.then((result) => process.send?.(result));
});
process.on('disconnect', () => process.exit(0));
