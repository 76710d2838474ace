import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startUp, type RunningUp } from '../up-harness.js';

export { ingressYaml } from '../proxy/harness.js';

/** A project folder in a temp dir, written the way a test says. */
export interface TempProject {
  readonly dir: string;
  path(rel: string): string;
  write(rel: string, text: string): void;
  remove(): void;
}

export function tempProject(files: Readonly<Record<string, string>>): TempProject {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-reload-'));
  const project: TempProject = {
    dir,
    path: (rel) => path.join(dir, rel),
    write(rel, text) {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), text);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
  for (const [rel, text] of Object.entries(files)) project.write(rel, text);
  return project;
}

/** `up` in-process on a free port, run from the project folder so that paths print as in the folder. */
export function startUpIn(project: TempProject, flags: readonly string[] = ['--port', '0', '--echo-unmapped']): Promise<RunningUp> {
  return startUp(['.', ...flags], project.dir);
}

export interface Answer {
  readonly status: number;
  readonly body: string;
  /** The route the echo stood in for, when the echo answered. */
  readonly route: string | null;
}

/** One GET through the proxy, on a fresh connection. */
export function get(port: number, host: string, target: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: target, headers: { host }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, route: routeOf(body) }));
    });
    req.on('error', reject);
    req.end();
  });
}

function routeOf(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { standsInFor?: { route?: string } };
    return parsed.standsInFor?.route ?? null;
  } catch {
    return null;
  }
}

/** Asks again until the answer satisfies `done`; fails with the last answer after the timeout. */
export async function waitForAnswer(port: number, host: string, target: string, done: (a: Answer) => boolean, timeoutMs = 5_000): Promise<Answer> {
  const deadline = Date.now() + timeoutMs;
  let last: Answer | null = null;
  for (;;) {
    last = await get(port, host, target);
    if (done(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for http://${host}${target}; last answer ${last.status} ${last.body.slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Waits until `host` + `target` is served by the route `id` (through the echo). */
export function waitForRoute(up: RunningUp, host: string, target: string, id: string): Promise<Answer> {
  return waitForAnswer(up.port, host, target, (a) => a.status === 200 && a.route === id);
}

/** Waits until `host` + `target` has no route. */
export function waitForNotFound(up: RunningUp, host: string, target: string): Promise<Answer> {
  return waitForAnswer(up.port, host, target, (a) => a.status === 404);
}

/** How many times `pattern` occurs in the output so far; to wait for the next reload line. */
export function count(up: RunningUp, pattern: RegExp): number {
  return (up.stdout() + up.stderr()).match(new RegExp(pattern.source, 'g'))?.length ?? 0;
}

/** Resolves once the output holds one more match of `pattern` than `before`. */
export async function waitForCount(up: RunningUp, pattern: RegExp, before: number, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (count(up, pattern) <= before) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${pattern}:\n${up.stdout()}\n${up.stderr()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
