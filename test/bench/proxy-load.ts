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
  const key = `${job.origin} ${job.connections}`;
  let pool = pools.get(key);
  if (pool === undefined) {
    pool = new Pool(job.origin, { connections: job.connections, pipelining: 1 });
    pools.set(key, pool);
  }
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + job.durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const t = performance.now();
      try {
        const { statusCode, body } = await (pool as Pool).request({ path: '/', method: 'GET', headers: { host: job.host } });
        await body.dump();
        if (statusCode !== 200) errors++;
      } catch {
        errors++;
      }
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
