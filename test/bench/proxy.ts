/**
 * The proxy benchmark: the same backend measured directly, through ingress-dev and through nginx
 * (when installed), in one run with interleaved rounds. Every server and the load generator run
 * in processes of their own. Numbers are reported as ratios.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { formatNumber, printTable } from './measure.js';
import { nginxInstalled, startNginx, type RunningNginx } from './proxy-nginx.js';
import type { DownloadJob, DownloadResult, LoadJob, LoadResult } from './proxy-load.js';

const host = 'bench.example.com';
// Knobs for investigating (the defaults are the report): BENCH_ROUNDS, BENCH_ROUND_MS, BENCH_CONNS=1,50,
// BENCH_DOWNLOAD=0 to skip the download, BENCH_BARE=1 to add bare relays with no routing: one on
// undici, one on node:http's client (floors for a relay on each client), and a TCP pipe
// with no HTTP at all (the floor for any Node relay).
// Many short rounds: this machine's speed drifts over seconds (shared cores), and short rounds
// spread the drift evenly over the targets instead of giving it to one of them.
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 15);
const downloadRounds = 3;
const connectionCounts = (process.env['BENCH_CONNS'] ?? '1,50').split(',').map(Number);
const roundMs = Number(process.env['BENCH_ROUND_MS'] ?? 200);
const warmUpMs = 1000;
const downloadBytes = 100 * 1024 * 1024;

interface Subject {
  readonly name: string;
  readonly port: number;
  /** The serving process (with its children, for nginx's worker), for RSS from /proc. */
  readonly pid: number | undefined;
}

export interface Measured {
  requests: number;
  errors: number;
  seconds: number;
  latencies: number[];
  /** Peak RSS in bytes while this subject was measured (0 when /proc is unavailable). */
  peakRss: number;
}

export async function benchProxy(): Promise<void> {
  const children: ChildProcess[] = [];
  let nginx: RunningNginx | null = null;
  try {
    const upstream = await forkWithPort('proxy-upstream.js', [], children);
    const proxyArgs = (process.env['BENCH_PROXY_ARGS'] ?? '').split(' ').filter((arg) => arg !== '');
    const proxy = await forkWithPort('proxy-server.js', [String(upstream.port)], children, proxyArgs);
    const loader = forkChild('proxy-load.js', [], children);
    const subjects: Subject[] = [
      { name: 'direct', port: upstream.port, pid: upstream.child.pid },
      { name: 'ingress-dev', port: proxy.port, pid: proxy.child.pid },
    ];
    if (process.env['BENCH_BARE'] === '1') {
      for (const [name, script] of [['bare-undici', 'proxy-bare.js'], ['bare-http', 'proxy-bare-http.js'], ['bare-tcp', 'proxy-bare-tcp.js']] as const) {
        const bare = await forkWithPort(script, [String(upstream.port)], children);
        subjects.push({ name, port: bare.port, pid: bare.child.pid });
      }
    }
    // A/B against another build (BENCH_OTHER_PROXY=/path/to/its/bench/proxy-server.js) or other
    // node flags (BENCH_OTHER_PROXY_ARGS, with this build when BENCH_OTHER_PROXY is not set).
    const otherArgs = (process.env['BENCH_OTHER_PROXY_ARGS'] ?? '').split(' ').filter((arg) => arg !== '');
    const other = process.env['BENCH_OTHER_PROXY'] ?? (otherArgs.length > 0 ? fileURLToPath(new URL('./proxy-server.js', import.meta.url)) : '');
    if (other !== '') {
      const child = fork(other, [String(upstream.port)], { execArgv: otherArgs, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
      const { port } = await new Promise<{ port: number }>((resolve) => child.once('message', (message) => resolve(message as { port: number })));
      subjects.push({ name: 'other-build', port, pid: child.pid });
    }
    if (nginxInstalled()) {
      nginx = startNginx(await freePort(), upstream.port);
      await waitForPort(nginx.port);
      subjects.push({ name: 'nginx', port: nginx.port, pid: nginx.pid });
    }

    const loadRows: string[][] = [];
    let peakRss = 0;
    /** The proxy process's CPU time (µs) per concurrency: robust where wall-clock numbers are noisy. */
    const cpu = new Map<number, number>();
    const proxyRequests = new Map<number, number>();
    for (const connections of connectionCounts) {
      const results = new Map<string, Measured>(subjects.map((s) => [s.name, { requests: 0, errors: 0, seconds: 0, latencies: [], peakRss: 0 }]));
      // Warm-up: the JIT needs a few thousand requests before latencies settle.
      for (const subject of subjects) await ask<LoadResult>(loader, loadJob(subject, connections, warmUpMs));
      for (let round = 0; round < rounds; round++) {
        for (const subject of subjects) {
          const isProxy = subject.name === 'ingress-dev';
          const cpuBefore = isProxy ? await cpuTime(proxy.child) : 0;
          const total = results.get(subject.name) as Measured;
          const stopSampling = isProxy ? sampleRss(proxy.child, (rss) => (peakRss = Math.max(peakRss, rss))) : null;
          const stopProcSampling = sampleProcRss(subject.pid, (rss) => (total.peakRss = Math.max(total.peakRss, rss)));
          const result = await ask<LoadResult>(loader, loadJob(subject, connections, roundMs));
          stopSampling?.();
          stopProcSampling();
          if (isProxy) cpu.set(connections, (cpu.get(connections) ?? 0) + (await cpuTime(proxy.child)) - cpuBefore);
          total.requests += result.requests;
          total.errors += result.errors;
          total.seconds += result.seconds;
          for (const latency of result.latencies) total.latencies.push(latency);
        }
      }
      proxyRequests.set(connections, results.get('ingress-dev')?.requests ?? 0);
      loadRows.push(...formatLoadRows(connections, results));
    }
    printTable(
      `proxy: GET with a 1 KB response, keep-alive, ${rounds} interleaved rounds of ${roundMs} ms per target`,
      ['target', 'conns', 'req/s', 'p50 ms', 'p99 ms', '+p50 ms', 'errors', 'vs direct', 'vs nginx', 'peak RSS MB'],
      loadRows,
    );
    process.stdout.write(`ingress-dev proxy peak RSS under load: ${(peakRss / 1024 / 1024).toFixed(1)} MB\n`);
    for (const [connections, micros] of cpu) {
      const perRequest = micros / Math.max(1, proxyRequests.get(connections) ?? 0);
      process.stdout.write(`ingress-dev proxy CPU per request at ${connections} connection(s): ${perRequest.toFixed(1)} µs\n`);
    }
    if (nginx === null) process.stdout.write('nginx not installed; apt-get install nginx-light to compare\n');
    if (process.env['BENCH_DOWNLOAD'] === '0') return;

    const downloadRows: string[][] = [];
    const speeds = new Map<string, number[]>(subjects.map((subject) => [subject.name, []]));
    for (const subject of subjects) await ask<DownloadResult>(loader, downloadJob(subject, 10 * 1024 * 1024)); // warm-up
    for (let round = 0; round < downloadRounds; round++) {
      for (const subject of subjects) {
        const result = await ask<DownloadResult>(loader, downloadJob(subject, downloadBytes));
        speeds.get(subject.name)?.push(result.bytes / 1024 / 1024 / result.seconds);
      }
    }
    const medians = new Map([...speeds].map(([name, values]) => [name, median(values)]));
    for (const subject of subjects) {
      const speed = medians.get(subject.name) ?? 0;
      downloadRows.push([subject.name, formatNumber(speed), ratio(speed, medians.get('direct')), ratio(speed, medians.get('nginx'))]);
    }
    printTable(`proxy: streamed download of 100 MB, median of ${downloadRounds} interleaved rounds`, ['target', 'MB/s', 'vs direct', 'vs nginx'], downloadRows);
  } finally {
    await nginx?.stop();
    for (const child of children) child.disconnect();
  }
}

function loadJob(subject: Subject, connections: number, durationMs: number): LoadJob {
  return { kind: 'load', origin: `http://127.0.0.1:${subject.port}`, host, connections, durationMs };
}

function downloadJob(subject: Subject, bytes: number): DownloadJob {
  return { kind: 'download', url: `http://127.0.0.1:${subject.port}/big?bytes=${bytes}`, host };
}

function median(values: readonly number[]): number {
  return values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
}

function formatLoadRows(connections: number, results: ReadonlyMap<string, Measured>): string[][] {
  const summary = new Map([...results].map(([name, m]) => [name, summarize(m)]));
  const direct = summary.get('direct');
  const nginx = summary.get('nginx');
  return [...summary].map(([name, s]) => [
    name,
    String(connections),
    formatNumber(s.rps),
    s.p50.toFixed(3),
    s.p99.toFixed(3),
    name === 'direct' ? '' : (s.p50 - (direct?.p50 ?? 0)).toFixed(3),
    String(s.errors),
    ratio(s.rps, direct?.rps),
    ratio(s.rps, nginx?.rps),
    s.peakRss === 0 ? '' : (s.peakRss / 1024 / 1024).toFixed(1),
  ]);
}

export function summarize(m: Measured): { rps: number; p50: number; p99: number; errors: number; peakRss: number } {
  const sorted = m.latencies.toSorted((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { rps: m.requests / m.seconds, p50: at(0.5), p99: at(0.99), errors: m.errors, peakRss: m.peakRss };
}

export function ratio(value: number, base: number | undefined): string {
  return base === undefined || base === 0 ? '' : `${(value / base).toFixed(2)}x`;
}

export function forkChild(script: string, args: string[], children: ChildProcess[], execArgv: string[] = []): ChildProcess {
  const child = fork(fileURLToPath(new URL(`./${script}`, import.meta.url)), args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  return child;
}

export async function forkWithPort(script: string, args: string[], children: ChildProcess[], execArgv: string[] = []): Promise<{ child: ChildProcess; port: number; httpsPort: number }> {
  const child = forkChild(script, args, children, execArgv);
  const { port, httpsPort } = await new Promise<{ port: number; httpsPort?: number | null }>((resolve, reject) => {
    child.once('message', (message) => resolve(message as { port: number; httpsPort?: number | null }));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { child, port, httpsPort: httpsPort ?? 0 };
}

export function ask<T>(child: ChildProcess, job: LoadJob | DownloadJob): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (message) => resolve(message as T));
    child.send(job);
  });
}

/** The proxy process's user + system CPU time so far, in µs. */
function cpuTime(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (message) => {
      const { cpu } = message as { cpu: NodeJS.CpuUsage };
      resolve(cpu.user + cpu.system);
    });
    child.send('memory');
  });
}

/** Asks the proxy process for its RSS every 100 ms until stopped. */
function sampleRss(child: ChildProcess, onRss: (rss: number) => void): () => void {
  const listener = (message: unknown) => {
    if (typeof message === 'object' && message !== null && 'rss' in message) onRss((message as { rss: number }).rss);
  };
  child.on('message', listener);
  const timer = setInterval(() => child.send('memory'), 100);
  return () => {
    clearInterval(timer);
    child.off('message', listener);
  };
}

/** Reads a process's RSS (with its children's: nginx's worker) from /proc every 100 ms until stopped. */
function sampleProcRss(pid: number | undefined, onRss: (rss: number) => void): () => void {
  if (pid === undefined) return () => {};
  const sample = (): void => {
    const rss = procRss(pid);
    if (rss > 0) onRss(rss);
  };
  sample();
  const timer = setInterval(sample, 100);
  return () => {
    clearInterval(timer);
    sample();
  };
}

/** VmRSS of `pid` and its descendants in bytes; 0 where /proc is not there (not Linux). */
function procRss(pid: number): number {
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    let children: number[] = [];
    try {
      children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter((c) => c !== '').map(Number);
    } catch {
      // No children file: count the process alone.
    }
    return kb * 1024 + children.reduce((sum, child) => sum + procRss(child), 0);
  } catch {
    return 0;
  }
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function waitForPort(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(socket.destroy() !== undefined));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
