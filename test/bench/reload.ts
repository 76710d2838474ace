/**
 * Hot reload: the time from a manifest write to the new route serving through the real proxy,
 * for a 10-route project and a 1,000-route one (in 20 files, and in one file). Each project runs
 * `ingress-dev up` in a process of its own; this process writes a file and asks the proxy, on a
 * keep-alive connection and as fast as it answers, until the edited route serves. The three
 * projects are edited in turn, round after round, so that they share the machine's noise.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { printTable } from './measure.js';

const edits = 50;
const warmUpEdits = 5;
const routesPerIngress = 50;

interface Subject {
  readonly name: string;
  readonly files: number;
  readonly routes: number;
  readonly dir: string;
  readonly child: ChildProcess;
  port: number;
  readonly agent: http.Agent;
  /** The text of each file, by file index, for a given version of its first path. */
  readonly fileText: (file: number, version: number) => string;
  output: string;
  version: number[];
  readonly times: number[];
}

export async function benchReload(): Promise<void> {
  const layouts = [
    { name: '10 routes', files: 1, routes: 10 },
    { name: '1,000 routes in 20 files', files: 20, routes: 1_000 },
    { name: '1,000 routes in 1 file', files: 1, routes: 1_000 },
  ];
  const subjects: Subject[] = [];
  try {
    for (const layout of layouts) subjects.push(await startSubject(layout.name, layout.files, layout.routes));
    for (let round = 0; round < warmUpEdits + edits; round++) {
      for (const subject of subjects) {
        const ms = await editAndWait(subject, round);
        if (round >= warmUpEdits) subject.times.push(ms);
        // Let the watcher settle, so that edits do not overlap (this is not the debounce).
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const base = subjects[0] as Subject;
    const rows = subjects.map((s) => {
      const reloads = [...s.output.matchAll(/reloaded in (\d+)ms/g)].map((m) => Number(m[1])).slice(warmUpEdits);
      return [
        s.name,
        String(s.files),
        s.routes.toLocaleString('en-US'),
        percentile(s.times, 0.5).toFixed(1),
        percentile(s.times, 0.95).toFixed(1),
        percentile(reloads, 0.5).toFixed(0),
        `${(percentile(s.times, 0.5) / percentile(base.times, 0.5)).toFixed(2)}x`,
        `${(percentile(s.times, 0.95) / percentile(base.times, 0.95)).toFixed(2)}x`,
      ];
    });
    printTable(
      `reload: manifest write → the new route serves through the proxy (${edits} edits each, interleaved; includes the 30 ms debounce)`,
      ['project', 'files', 'routes', 'p50 ms', 'p95 ms', 'build p50 ms', 'p50 vs 10', 'p95 vs 10'],
      rows,
    );
    process.stdout.write('build = load + compile + swap, as the reload log line reports it; the rest is the file watcher, the debounce and the first request.\n');
  } finally {
    for (const s of subjects) await stopSubject(s);
  }
}

async function startSubject(name: string, files: number, routes: number): Promise<Subject> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-bench-reload-'));
  const perFile = Math.ceil(routes / files);
  const fileText = (file: number, version: number) => manifestFile(file, perFile, version);
  for (let f = 0; f < files; f++) writeFileSync(path.join(dir, `ingress-${String(f).padStart(2, '0')}.yaml`), fileText(f, 0));
  const bin = fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url));
  const child = spawn(process.execPath, [bin, 'up', '.', '--port', '0', '--echo-unmapped', '--no-ui'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const subject: Subject = {
    name,
    files,
    routes,
    dir,
    child,
    port: 0,
    agent: new http.Agent({ keepAlive: true, maxSockets: 1 }),
    fileText,
    output: '',
    version: Array.from({ length: files }, () => 0),
    times: [],
  };
  const collect = (chunk: Buffer) => (subject.output += chunk.toString());
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: up did not start:\n${subject.output}`)), 30_000);
    const check = () => {
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(subject.output);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on('data', check);
    child.on('exit', (code) => reject(new Error(`${name}: up exited ${code}:\n${subject.output}`)));
  });
  subject.port = port;
  return subject;
}

/** Rewrites one file with its first path renamed, and asks until that path serves. */
async function editAndWait(subject: Subject, round: number): Promise<number> {
  const file = round % subject.files;
  const version = (subject.version[file] ?? 0) + 1;
  subject.version[file] = version;
  const target = pathOf(file, 0, version);
  const host = hostOf(file, 0);
  const started = performance.now();
  writeFileSync(path.join(subject.dir, `ingress-${String(file).padStart(2, '0')}.yaml`), subject.fileText(file, version));
  const deadline = started + 10_000;
  for (;;) {
    if ((await status(subject, host, target)) === 200) return performance.now() - started;
    if (performance.now() > deadline) throw new Error(`${subject.name}: ${target} did not serve within 10 s:\n${subject.output.slice(-2000)}`);
  }
}

function status(subject: Subject, host: string, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: subject.port, path: target, headers: { host }, agent: subject.agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

async function stopSubject(subject: Subject): Promise<void> {
  subject.agent.destroy();
  if (subject.child.exitCode === null) {
    const exited = new Promise((r) => subject.child.once('exit', r));
    subject.child.kill('SIGINT');
    await exited;
  }
  rmSync(subject.dir, { recursive: true, force: true });
}

// One Ingress per 50 paths, each on a host of its own, with block-style YAML as people write it.
function manifestFile(file: number, routes: number, version: number): string {
  const docs: string[] = [];
  for (let start = 0; start < routes; start += routesPerIngress) {
    const count = Math.min(routesPerIngress, routes - start);
    const items: string[] = [];
    for (let i = start; i < start + count; i++) {
      items.push(
        [
          `          - path: ${pathOf(file, i, i === 0 ? version : 0)}`,
          `            pathType: ${i % 4 === 1 ? 'Exact' : 'Prefix'}`,
          '            backend:',
          '              service:',
          `                name: svc-${file}`,
          '                port:',
          '                  number: 80',
        ].join('\n'),
      );
    }
    const ingress = `f${file}-i${start / routesPerIngress}`;
    docs.push(
      `apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: ${ingress}\n  annotations:\n    team: team-${file}\nspec:\n  rules:\n    - host: ${hostOf(file, start)}\n      http:\n        paths:\n${items.join('\n')}`,
    );
  }
  docs.push(`apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-${file}\nspec:\n  selector:\n    app: svc-${file}\n  ports:\n    - name: http\n      port: 80\n      targetPort: 8080`);
  return `${docs.join('\n---\n')}\n`;
}

function hostOf(file: number, route: number): string {
  return `app-${file}-${Math.floor(route / routesPerIngress)}.example.com`;
}

function pathOf(file: number, route: number, version: number): string {
  return `/api/f${file}/r${route}/v${version}`;
}

function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
}
