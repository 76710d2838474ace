import { execFileSync, execSync } from 'node:child_process';
import { testTlsEnv } from '../tls-env.js';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent, createServer, request, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../cli-harness.js';
import { removeProjectResources, removeRunContainers, runContainer, runId, startEngine } from '../docker/harness.js';

/**
 * The terminal UI in a real terminal: the built CLI (`node bin/ingress-dev.js up`) runs in a
 * detached tmux session; the test reads the screen with `capture-pane`, types with `send-keys`,
 * and sends requests through the proxy with node:http. `.ci/run` installs tmux and builds dist/.
 */

const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasTmux && process.env.CI !== undefined) throw new Error('tmux is required for the terminal UI test in CI (.ci/run installs it)');

const socket = `ingress-dev-test-${process.pid}`;
// Ink shows only a final frame when it believes it runs in CI, so the CLI runs without CI set.
const env: NodeJS.ProcessEnv = { ...process.env, ...testTlsEnv, TERM: 'xterm-256color' };
delete env.CI;
delete env.CONTINUOUS_INTEGRATION;

const manifests = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  rules:
    - host: app.test
      http:
        paths:
          - path: /api
            pathType: Prefix
            backend:
              service:
                name: api
                port:
                  number: 80
          - path: /
            pathType: Prefix
            backend:
              service:
                name: web
                port:
                  number: 80
---
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  ports:
    - port: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
    - port: 80
`;

let dir = '';
let sessions = 0;
const backends: Server[] = [];

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8', env });
}

interface Terminal {
  screen(): string;
  keys(...keys: string[]): void;
  /** Poll the screen until `test` holds; fail with the screen after the timeout. */
  waitFor(test: (screen: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  /** A tmux format variable of the pane: `alternate_on`, `cursor_flag`. */
  pane(variable: string): string;
  resize(columns: number, rows: number): void;
}

/**
 * `ingress-dev up` in a new tmux session; the shell reports the exit code and the tty mode after
 * it. `args` follow `up` (default: the project on any free port, every Service on the echo).
 */
function startUp(columns: number, rows: number, args: readonly string[] = [path.join(dir, 'project'), '--port', '0', '--echo-unmapped']): Terminal {
  const session = `tui${++sessions}`;
  const script = path.join(dir, 'run.sh');
  tmux('new-session', '-d', '-s', session, '-x', String(columns), '-y', String(rows), 'sh', script, ...args);
  const target = `${session}:0.0`;
  const screen = (): string => tmux('capture-pane', '-p', '-t', target);
  return {
    screen,
    keys: (...keys) => void tmux('send-keys', '-t', target, ...keys),
    async waitFor(test, what, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const s = screen();
        if (test(s)) return s;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the screen:\n${s}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    pane: (variable) => tmux('display-message', '-p', '-t', target, `#{${variable}}`).trim(),
    resize: (c, r) => void tmux('resize-window', '-t', session, '-x', String(c), '-y', String(r)),
  };
}

function get(port: number, host: string, pathname: string, agent?: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: pathname, headers: { host }, ...(agent === undefined ? {} : { agent }) }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A port free a moment ago, for a test that must know it before `up` starts. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves as soon as the port accepts a connection (tried every 5 ms). */
async function accepting(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const probe = connect(port, '127.0.0.1');
      probe.once('connect', () => {
        probe.destroy();
        resolve(true);
      });
      probe.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for port ${port} to accept connections`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function portOn(screen: string): number {
  const match = /http:\/\/127\.0\.0\.1:(\d+)/.exec(screen);
  if (match === null) throw new Error(`no listening URL on the screen:\n${screen}`);
  return Number(match[1]);
}

const rowOf = (screen: string, text: string): string => screen.split('\n').find((l) => l.includes(text)) ?? '';

describe.skipIf(!hasTmux)('terminal UI in a real terminal (tmux)', () => {
  beforeAll(async () => {
    if (!existsSync(path.join(repoRoot, 'dist', 'cli', 'bin.js'))) execSync('npm run build', { cwd: repoRoot, stdio: 'ignore' });
    dir = await mkdtemp(path.join(tmpdir(), 'ingress-dev-tui-'));
    await mkdir(path.join(dir, 'project'));
    await writeFile(path.join(dir, 'project', 'ingress.yaml'), manifests);
    await writeFile(
      path.join(dir, 'run.sh'),
      [
        `cd '${repoRoot}'`,
        'node bin/ingress-dev.js up "$@"',
        'code=$?',
        // After the UI: is the terminal back in its normal (cooked) mode?
        `if stty -a | grep -q -- '-icanon'; then echo TTY=raw; else echo TTY=cooked; fi`,
        'echo EXIT=$code',
        'exec sleep 60',
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await Promise.all(backends.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
    try {
      tmux('kill-server');
    } catch {
      /* no server left */
    }
    // tmux leaves its socket file behind.
    await rm(path.join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, socket), { force: true });
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('shows a request with its route, its detail on Enter, follows a resize, and quits cleanly on q (100x30)', async () => {
    const term = startUp(100, 30);
    let screen = await term.waitFor((s) => /ingress-dev \S+ +http:\/\/127\.0\.0\.1:\d+/.test(s), 'the header');
    expect(screen).toContain('1 manifest · 2 routes');
    expect(term.pane('alternate_on')).toBe('1');
    await term.waitFor((s) => s.includes('backends 2 reachable'), 'the echo backends');

    expect(await get(portOn(screen), 'app.test', '/api/hello')).toBe(200);
    // Wait for the whole row: a capture can catch Ink half-way through a redraw.
    const requestRow = /GET\s+app\.test\/api\/hello\s+200\s+\S+ ingress:default\/web#r0\.p0\s+echo/;
    screen = await term.waitFor((s) => requestRow.test(rowOf(s, 'app.test/api/hello')), 'the request');
    expect(rowOf(screen, 'app.test/api/hello')).toMatch(requestRow);

    term.keys('Down');
    await term.waitFor((s) => rowOf(s, 'app.test/api/hello').startsWith('›'), 'the selection');
    term.keys('Enter');
    screen = await term.waitFor((s) => s.includes('Candidates that lost') && s.includes('✗ ingress:default/web#r0.p1') && /Upstream\s+\/api\/hello/.test(s), 'the detail');
    expect(screen).toMatch(/Route\s+ingress:default\/web#r0\.p0\s+Prefix \/api on app\.test\s+ingress\.yaml:\d+/);
    expect(screen).toMatch(/Upstream\s+\/api\/hello/);
    expect(screen).toContain('✗ ingress:default/web#r0.p1');
    term.keys('Escape');
    await term.waitFor((s) => !s.includes('Candidates that lost'), 'the list again');

    term.resize(80, 24);
    // The redraw after a resize may be caught half-way: wait for the row itself, not only its absence of width.
    screen = await term.waitFor((s) => {
      const row = rowOf(s, 'app.test/api/hello');
      return row !== '' && row.length <= 80 && row.includes('ingress:default/web#r0.p0') && s.includes('q quit');
    }, 'the UI at 80x24');
    expect(term.pane('window_width')).toBe('80');
    expect(rowOf(screen, 'app.test/api/hello')).toContain('ingress:default/web#r0.p0');
    expect(screen).toContain('[Requests 1]');

    term.keys('q');
    screen = await term.waitFor((s) => s.includes('EXIT='), 'the exit');
    expect(screen).toContain('EXIT=0');
    expect(screen).toContain('TTY=cooked');
    expect(screen).not.toContain('ingress-dev ');
    expect(screen).not.toContain('[Requests');
    expect(term.pane('alternate_on')).toBe('0');
    expect(term.pane('cursor_flag')).toBe('1');
  }, 40_000);

  it('issue 11: the nginx profile in the UI: the header says nginx, and a request\'s detail shows its location and what each annotation did (canary, CORS)', async () => {
    await mkdir(path.join(dir, 'nginx'), { recursive: true });
    await writeFile(path.join(dir, 'nginx', 'ingress.yaml'), `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: api
  annotations: {nginx.ingress.kubernetes.io/enable-cors: "true"}
spec:
  ingressClassName: nginx
  rules: [{host: api.test, http: {paths: [{path: /v1, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}]}}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: api-canary
  annotations: {nginx.ingress.kubernetes.io/canary: "true", nginx.ingress.kubernetes.io/canary-by-header: X-Canary}
spec:
  ingressClassName: nginx
  rules: [{host: api.test, http: {paths: [{path: /v1, pathType: Prefix, backend: {service: {name: api-next, port: {number: 80}}}}]}}]
---
apiVersion: v1
kind: Service
metadata: {name: api}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: api-next}
spec: {ports: [{port: 80}]}
`);
    const term = startUp(140, 36, [path.join(dir, 'nginx'), '--port', '0', '--echo-unmapped']);
    let screen = await term.waitFor((s) => /ingress-dev \S+ +http:\/\/127\.0\.0\.1:\d+/.test(s) && s.includes('nginx'), 'the header with the profile');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: portOn(screen), path: '/v1/orders', headers: { host: 'api.test', 'x-canary': 'always', origin: 'https://shop.test' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    await term.waitFor((s) => /api\.test\/v1\/orders\s+200/.test(s), 'the request');
    term.keys('Down');
    await term.waitFor((s) => rowOf(s, 'api.test/v1/orders').startsWith('›'), 'the selection');
    term.keys('Enter');
    screen = await term.waitFor((s) => s.includes('canary: to the canary api-next:80') && s.includes('Location'), 'the nginx lines of the detail');
    expect(screen).toContain('location "/v1/"');
    expect(screen).toContain('enable-cors: cors-allow-origin is *, so every request is allowed');
    expect(screen).toMatch(/access-control-allow-origin: \*/);
    term.keys('q');
    screen = await term.waitFor((s) => s.includes('EXIT='), 'the exit');
    expect(screen).toContain('EXIT=0');
  }, 40_000);

  it('fits 80x24, switches panes with Tab, and quits on Ctrl-C like an interrupt (130)', async () => {
    const term = startUp(80, 24);
    const screen = await term.waitFor((s) => s.includes('[Requests 0]') && s.includes('q quit'), 'the header and the key line');
    for (const row of screen.split('\n')) expect([...row].length).toBeLessThanOrEqual(80);
    expect(screen).toContain('q quit');
    term.keys('Tab');
    const routeRow = /● app\.test\s+\/api\s+Prefix\s+api:80\s+echo/;
    const routes = await term.waitFor((s) => s.includes('[Routes 2]') && routeRow.test(s), 'the routes pane with its health marks');
    expect(routes).toMatch(routeRow);
    term.keys('C-c');
    const after = await term.waitFor((s) => s.includes('EXIT='), 'the exit');
    expect(after).toContain('EXIT=130');
    expect(after).toContain('TTY=cooked');
    expect(term.pane('alternate_on')).toBe('0');
  }, 40_000);

  // Issue 10, item 19: keys that arrive in one read (auto-repeat, a paste, tmux send-keys with
  // several keys) were handled as one unknown key, or only the first of them.
  it('issue 10: handles every key of a batch, in order (kkk, /r3 Enter, BSpace BSpace)', async () => {
    const term = startUp(100, 30);
    const screen = await term.waitFor((s) => /http:\/\/127\.0\.0\.1:\d+/.test(s) && s.includes('backends 2 reachable'), 'the header');
    const port = portOn(screen);
    for (const n of [1, 2, 3, 4, 5]) expect(await get(port, 'app.test', `/r${n}`)).toBe(200);
    await term.waitFor((s) => s.includes('[Requests 5]') && rowOf(s, 'app.test/r5 ') !== '', 'five requests');

    // One read: the first k selects the newest, the next three move up to /r2.
    term.keys('kkkk');
    await term.waitFor((s) => rowOf(s, 'app.test/r2 ').startsWith('›'), 'the selection moved four times');

    // Typing a filter and Enter at once: the filter is kept and the typing closed.
    term.keys('/r3', 'Enter');
    await term.waitFor((s) => s.includes('[Requests 1]') && s.includes('filter: r3') && rowOf(s, 'app.test/r3 ') !== '', 'the kept filter');

    // Two backspaces in one read delete two characters.
    term.keys('/', 'abc');
    await term.waitFor((s) => s.includes('/r3abc'), 'the filter being typed');
    term.keys('BSpace', 'BSpace');
    await term.waitFor((s) => /\/r3a\s/.test(rowOf(s, '/r3a')) && !s.includes('/r3ab'), 'two characters deleted');
    term.keys('Enter');
    await term.waitFor((s) => s.includes('filter: r3a'), 'the filter kept');

    term.keys('q');
    expect(await term.waitFor((s) => s.includes('EXIT='), 'the exit')).toContain('EXIT=0');
  }, 40_000);

  // Issue 10, item 21: `r` with nothing changed on disk gave no feedback at all.
  it('issue 10: r says "reloaded, no changes" with the time', async () => {
    const term = startUp(100, 30);
    await term.waitFor((s) => s.includes('[Requests 0]') && s.includes('loaded '), 'the header');
    term.keys('r');
    const screen = await term.waitFor((s) => s.includes('reloaded, no changes'), 'the answer to r');
    expect(rowOf(screen, 'backends')).toMatch(/reloaded, no changes \(\d\d:\d\d:\d\d\)/);
    term.keys('q');
    expect(await term.waitFor((s) => s.includes('EXIT='), 'the exit')).toContain('EXIT=0');
  }, 40_000);

  // Issue 10, item 20: the health of a Service served by several containers was matched against
  // the replica whose turn it was when the screen was drawn, not the one probed: under traffic the
  // header said "checking" for a backend that had been reachable from the first check.
  it('issue 10: a Service with three replicas stays reachable in the header under traffic', async () => {
    await startEngine();
    const project = path.join(dir, 'replicas');
    await mkdir(project);
    const app = `tui-web-${runId}`;
    await writeFile(
      path.join(project, 'ingress.yaml'),
      `${manifests.split('---')[0]}---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: ${app}, ingress-dev.test.run: '${runId}'}
  ports:
    - port: 80
      targetPort: 80
`.replace('name: api', 'name: web'),
    );
    try {
      for (const n of [1, 2, 3]) await runContainer({ name: `idt-${runId}-tui-web-${n}`, labels: { app } });
      const term = startUp(120, 30, [project, '--port', '0']);
      const first = await term.waitFor((s) => /http:\/\/127\.0\.0\.1:\d+/.test(s) && rowOf(s, 'backends').includes('backends 1 reachable'), 'the first health round', 20_000);
      expect(rowOf(first, 'backends')).not.toContain('checking');
      const port = portOn(first);

      // Requests take the replicas in turn while the screen is read; the header must not waver.
      const agent = new Agent({ keepAlive: true, maxSockets: 6 });
      let sent = 0;
      const total = 600;
      const worker = async (): Promise<void> => {
        while (sent < total) {
          sent++;
          expect(await get(port, 'app.test', '/', agent)).toBe(200);
        }
      };
      const traffic = Promise.all(Array.from({ length: 6 }, worker));
      const finished = traffic.then(() => true);
      const headers = new Set<string>();
      for (;;) {
        headers.add(rowOf(term.screen(), 'backends'));
        if (await Promise.race([finished, new Promise<false>((resolve) => setTimeout(() => resolve(false), 50))])) break;
      }
      agent.destroy();
      // (A capture may catch a row half-drawn, so only what a drawn row says counts.)
      const wavered = [...headers].filter((h) => /checking|refused|unmapped/.test(h));
      expect(wavered).toEqual([]);

      term.keys('q');
      expect(await term.waitFor((s) => s.includes('EXIT='), 'the exit')).toContain('EXIT=0');
    } finally {
      await removeRunContainers();
    }
  }, 300_000);

  // Issue 9: a request served in the first moments, while Ink was still loading, never reached
  // the Requests pane; nor did the first health round (the backend stayed "checking").
  it('issue 9: shows every request served from the moment the port opens, and the first health round', async () => {
    const backend = createServer((req, res) => res.end(`backend ${req.url}`));
    backends.push(backend);
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    const backendPort = (backend.address() as AddressInfo).port;
    const port = await freePort();
    const term = startUp(100, 30, [path.join(dir, 'project'), '--port', String(port), '--https-port', '0', '--map', `web:80=${backendPort}`, '--map', 'api:80=echo']);

    await accepting(port);
    const paths = ['/api/early-0', '/early-1', '/api/early-2', '/early-3', '/api/early-4'];
    expect(await Promise.all(paths.map((p) => get(port, 'app.test', p)))).toEqual(paths.map(() => 200));

    const served = (s: string): boolean => paths.every((p) => /\s200\s/.test(rowOf(s, `app.test${p} `)));
    const screen = await term.waitFor((s) => s.includes(`[Requests ${paths.length}]`) && served(s) && s.includes('backends 2 reachable'), 'every early request and both backends reachable');
    for (const p of paths) expect(rowOf(screen, `app.test${p} `)).toMatch(p.startsWith('/api') ? /ingress:default\/web#r0\.p0\s+echo/ : new RegExp(`ingress:default/web#r0\\.p1\\s+:${backendPort}`));

    term.keys('q');
    expect(await term.waitFor((s) => s.includes('EXIT='), 'the exit')).toContain('EXIT=0');
  }, 40_000);

  // Issue 10 item 2: with the UI, `--run` was invisible: a Deployment whose image could not be
  // pulled left "No problems", an `unmapped` route and a 503 advising --map, and its lines were
  // printed only after quitting.
  it('issue 10: up --run shows a failed pull in the Workloads pane, counts it in Problems, and says it in the 503', async () => {
    await startEngine();
    const project = path.join(dir, 'workloads');
    await mkdir(project);
    await writeFile(
      path.join(project, 'admin.yaml'),
      `apiVersion: apps/v1
kind: Deployment
metadata: {name: admin}
spec:
  replicas: 1
  selector: {matchLabels: {app: admin}}
  template:
    metadata: {labels: {app: admin}}
    spec:
      containers: [{name: admin, image: ingress-dev-test/does-not-exist}]
---
apiVersion: v1
kind: Service
metadata: {name: admin}
spec:
  selector: {app: admin}
  ports: [{port: 80, targetPort: 9000}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: admin}
spec:
  rules:
    - host: admin.test
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: admin, port: {number: 80}}}}
`,
    );
    try {
      const term = startUp(140, 30, [project, '--port', '0', '--run']);
      let screen = await term.waitFor((s) => /http:\/\/127\.0\.0\.1:\d+/.test(s) && s.includes('Workloads 1') && /Problems [1-9]/.test(s), 'the Workloads tab and a problem', 60_000);
      expect(rowOf(screen, 'backends')).toMatch(/workloads 1 failed · \d+ problems?/);
      const port = portOn(screen);

      term.keys('Tab', 'Tab');
      screen = await term.waitFor((s) => s.includes('[Problems'), 'the Problems pane');
      expect(screen).toContain('Workloads (up --run):');
      expect(screen).toContain('E_IMAGE_PULL: Deployment default/admin: image ingress-dev-test/does-not-exist');
      expect(screen).not.toContain('No problems');

      term.keys('Tab');
      screen = await term.waitFor((s) => s.includes('[Workloads 1]') && /✗ Deployment default\/admin\s+ingress-dev-test\/does-not-exist\S*\s+failed\s+0\/0/.test(s), 'the Workloads pane');
      expect(screen).toContain('error: image ingress-dev-test/does-not-exist');

      // The 503 names the workload and what to fix, not --map.
      const body = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/', headers: { host: 'admin.test' } }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', reject);
        req.end();
      });
      expect(body.status).toBe(503);
      expect(body.text).toContain('Deployment default/admin: image ingress-dev-test/does-not-exist');
      expect(body.text).toContain('Fix Deployment default/admin in admin.yaml:');
      expect(body.text).not.toContain('--map');

      term.keys('q');
      screen = await term.waitFor((s) => s.includes('EXIT='), 'the exit', 30_000);
      expect(screen).toContain('EXIT=0');
      // Nothing about the workloads waited behind the UI to be printed after it.
      expect(screen).not.toContain('could not be pulled');
    } finally {
      await removeProjectResources(project);
      await removeRunContainers();
    }
  }, 120_000);
});
