/**
 * `ingress-dev up` end to end: the real CLI, the real proxy, real sockets on 127.0.0.1.
 * Every example's route tests are replayed through the proxy against the echo responder.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRouteTests } from '../src/manifest/route-tests.js';
import { parseRequestTarget } from '../src/cli/request.js';
import { compileProject, offlineProfileOption } from '../src/cli/project.js';
import type { EchoReply } from '../src/backends/echo.js';
import { expectEchoAsTested, weightedServicesOf } from './example-expectations.js';
import { cli, repoRoot } from './cli-harness.js';
import { testTlsEnv } from './tls-env.js';
import { spawnCli, startUp, poll } from './up-harness.js';

const temp = mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-up-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

interface Reply { status: number; headers: http.IncomingHttpHeaders; body: string }

function send(port: number, target: string, headers: Record<string, string> = {}, method = 'GET', tls: { readonly ca: string; readonly servername: string } | null = null): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, path: target, method, headers, setHost: false, agent: false };
    const req = (tls === null ? http.request : https.request)(tls === null ? options : { ...options, ca: tls.ca, servername: tls.servername }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function project(name: string, files: Record<string, string>): string {
  const dir = path.join(temp, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
  return dir;
}

const webYaml = [
  'apiVersion: v1', 'kind: Service', 'metadata: {name: web}', 'spec: {ports: [{name: http, port: 80, targetPort: 3000}]}', '---',
  'apiVersion: networking.k8s.io/v1', 'kind: Ingress', 'metadata: {name: web}', 'spec:', '  rules:', '    - host: app.example.com', '      http:', '        paths:',
  '          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}',
].join('\n');

describe('every example routes through the proxy as its route tests say', () => {
  const examples = readdirSync(path.join(repoRoot, 'examples'));
  it.each(examples)('%s', async (name) => {
    const dir = path.join('examples', name);
    const text = readFileSync(path.join(repoRoot, dir, 'ingress-dev.test.yaml'), 'utf8');
    const { tests } = parseRouteTests(text, 'ingress-dev.test.yaml');
    expect(tests.length).toBeGreaterThan(0);
    // A weighted Gateway API rule may pick any of its weighted backends per request, as `test` allows offline.
    const offline = await compileProject(path.join(repoRoot, dir), await offlineProfileOption(path.join(repoRoot, dir), repoRoot, undefined));
    const weightedServices = weightedServicesOf(offline.table, tests);
    const up = await startUp([dir, '--port', '0', '--echo-unmapped']);
    const httpsPort = Number(/and https:\/\/127\.0\.0\.1:(\d+)/.exec(up.stdout())?.[1]);
    const ca = readFileSync(path.join(testTlsEnv.INGRESS_DEV_HOME as string, 'ca', 'rootCA.pem'), 'utf8');
    try {
      // A clientIp other than loopback's cannot be sent from here: `ingress-dev test` runs those offline.
      for (const t of tests.filter((x) => x.clientIp === null)) {
        const r = parseRequestTarget(t.url, Object.entries(t.headers).map(([k, v]) => `${k}: ${v}`), t.method);
        const secure = t.url.startsWith('https://');
        // HTTP/1.1 requires a Host header (Node and nginx answer 400 without one); a test without
        // a host is what `curl http://127.0.0.1:PORT/...` sends: a host no rule names.
        const headers: Record<string, string> = { ...(r.headers as Record<string, string>), host: r.host ?? `127.0.0.1:${up.port}` };
        // https:// tests go to the HTTPS listener, verified against the local CA.
        const reply = secure ? await send(httpsPort, r.path, headers, r.method, { ca, servername: r.host ?? 'localhost' }) : await send(up.port, r.path, headers, r.method);
        const label = `${t.name}: ${reply.status} ${reply.body.slice(0, 200)}`;
        if (t.expect.status !== undefined) expect(reply.status, label).toBe(t.expect.status);
        // The https:// redirects of the proxy name its HTTPS port; the cluster's (what the tests say) do not need to.
        const location = reply.headers.location?.replace(new RegExp(`^(https://[^/:]+):${httpsPort}(?=/|$)`), '$1') ?? null;
        if (t.expect.location !== undefined) expect(location, label).toBe(t.expect.location);
        for (const [header, value] of Object.entries(t.expect.responseHeaders ?? {})) expect(reply.headers[header] ?? null, label).toBe(value);
        if (reply.status !== 200) continue;
        expectEchoAsTested(t, JSON.parse(reply.body) as EchoReply, weightedServices.get(t) ?? new Set(), label);
      }
      // One log line per request, with the route or `no route`.
      await up.waitFor(new RegExp(`(?:.*\\n){${tests.filter((x) => !x.url.startsWith('https://')).length}}`));
    } finally {
      expect(await up.stop()).toBe(130);
    }
  });
});

describe('mapping Services to targets', () => {
  it('--map sends a Service to a local port; the startup summary shows routes and curl lines', async () => {
    const seen: string[] = [];
    const upstream = http.createServer((req, res) => {
      seen.push(`${req.headers.host} ${req.url}`);
      res.end('from upstream');
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const port = (upstream.address() as net.AddressInfo).port;
    const dir = project('mapped', { 'web.yaml': webYaml });
    const up = await startUp([dir, '--port', '0', '--map', `web=${port}`]);
    try {
      expect(up.stdout()).toContain(`/                    Prefix                 → web:80 (http)`);
      expect(up.stdout()).toContain(`http://127.0.0.1:${port}`);
      expect(up.stdout()).toContain(`curl -H 'Host: app.example.com' ${up.url}/`);
      expect(up.stdout()).toContain(`curl -x ${up.url} http://app.example.com/`);
      const reply = await send(up.port, '/hello?a=1', { host: 'app.example.com' });
      expect(reply).toMatchObject({ status: 200, body: 'from upstream' });
      expect(seen).toEqual(['app.example.com /hello?a=1']);
      await up.waitFor(/GET app\.example\.com\/hello\?a=1 200 \d+ms ingress:default\/web#r0\.p0 → http:\/\/127\.0\.0\.1:\d+/);
    } finally {
      await up.stop();
      upstream.close();
    }
  });

  it('an unmapped Service answers 503 naming it, with the flag that would map it', async () => {
    const dir = project('unmapped', { 'web.yaml': webYaml });
    const up = await startUp([dir, '--port', '0']);
    try {
      expect(up.stdout()).toContain('Unmapped Services');
      expect(up.stdout()).toContain('--map web=PORT');
      const reply = await send(up.port, '/', { host: 'app.example.com', accept: 'text/plain' });
      expect(reply.status).toBe(503);
      expect(reply.body).toContain('default/web');
      expect(reply.body).toContain('--map web=3000');
    } finally {
      await up.stop();
    }
  });

  it('the config file maps Services; flags override it', async () => {
    const dir = project('configured', { 'web.yaml': webYaml, 'ingress-dev.yaml': 'services:\n  web: echo\n' });
    const up = await startUp([dir, '--port', '0']);
    try {
      const reply = await send(up.port, '/x', { host: 'app.example.com' });
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body)).toMatchObject({ path: '/x', standsInFor: { service: 'web' } });
    } finally {
      await up.stop();
    }
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const overridden = await startUp([dir, '--port', '0', '--map', `web=${closed}`]);
    try {
      expect((await send(overridden.port, '/x', { host: 'app.example.com' })).status).toBe(502);
    } finally {
      await overridden.stop();
    }
  });

  it('an invalid config file is reported with file:line:col and nothing starts', async () => {
    const dir = project('bad-config', { 'web.yaml': webYaml, 'ingress-dev.yaml': 'services:\n  web: container:web\nlisten: {htpp: 1}\n' });
    const r = await cli(['up', dir, '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ingress-dev.yaml:2:8: error E_MAPPING');
    expect(r.stderr).toContain('ingress-dev.yaml:3:10: error E_CONFIG');
    expect(r.stderr).toContain('nothing was started');
  });

  it.each([
    [['--map', 'web'], 'SERVICE[:PORT]=TARGET'],
    [['--map', 'web=nowhere'], 'not a target'],
    [['--port', 'http'], 'a port is a number'],
    [['--read-timeout', 'soon'], 'a duration'],
    [['--config', 'missing.yaml'], 'config file not found'],
  ])('%j is a usage error', async (flags, message) => {
    const r = await cli(['up', project('usage', { 'web.yaml': webYaml }), ...flags]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
  });
});

describe('logging', () => {
  it('--log json prints one JSON object per event, and nothing else on stdout', async () => {
    const up = await startUp([project('json-log', { 'web.yaml': webYaml }), '--port', '0', '--echo-unmapped', '--log', 'json', '--no-watch']).catch((e: unknown) => {
      throw e;
    });
    try {
      await send(up.port, '/a?b=1', { host: 'app.example.com' });
      await send(up.port, '/', { host: 'nowhere.example.com' });
      await up.waitFor(/"status":404/);
    } finally {
      await up.stop();
    }
    const lines = up.stdout().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ type: 'proxy-started', url: up.url, routes: 1 });
    expect(lines.filter((l) => l.type === 'request-completed')).toEqual([
      expect.objectContaining({ method: 'GET', host: 'app.example.com', path: '/a?b=1', status: 200, routeId: 'ingress:default/web#r0.p0', target: 'echo' }),
      expect.objectContaining({ host: 'nowhere.example.com', status: 404, routeId: null }),
    ]);
    expect(lines.at(-1)).toMatchObject({ type: 'proxy-stopping', signal: 'SIGINT' });
  });

  it('a forward-proxy request is logged with its URL', async () => {
    const up = await startUp([project('forward-log', { 'web.yaml': webYaml }), '--port', '0', '--echo-unmapped', '--no-watch']);
    try {
      await send(up.port, 'http://app.example.com/x?y=1', { host: 'app.example.com' });
      await up.waitFor(/ GET http:\/\/app\.example\.com\/x\?y=1 200 \d+ms ingress:default\/web#r0\.p0 → echo/);
    } finally {
      await up.stop();
    }
  });

  it('--log takes plain or json', async () => {
    const r = await cli(['up', project('log-usage', { 'web.yaml': webYaml }), '--log', 'xml', '--no-watch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--log xml: use plain or json');
  });
});

describe('listening', () => {
  it('a port in use is a one-line error naming the port and the flag', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await cli(['up', project('busy', { 'web.yaml': webYaml }), '--port', String(port)]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n').at(-1)).toBe(`ingress-dev up: port ${port} on 127.0.0.1 is in use; choose another with --port ${port + 1} (or --port 0 for any free port)`);
      expect(r.stderr).not.toContain('    at ');
    } finally {
      blocker.close();
    }
  });

  it('an HTTPS port in use is a one-line error naming the port, its flag and --no-https (issue 12)', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = await cli(['up', project('busy-https', { 'web.yaml': webYaml }), '--port', '0', '--https-port', String(port)]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n').at(-1)).toBe(`ingress-dev up: HTTPS port ${port} on 127.0.0.1 is in use; choose another with --https-port ${port + 1} (or --https-port 0 for any free port), or --no-https`);
    } finally {
      blocker.close();
    }
  });

  it('refuses --https-port with --no-https, a bad port, or the HTTP port; --no-https and listen.https false serve plain HTTP only', async () => {
    const dir = project('https-flags', { 'web.yaml': webYaml });
    expect((await cli(['up', dir, '--no-https', '--https-port', '9443'])).stderr).toContain('--https-port and --no-https: choose one');
    expect((await cli(['up', dir, '--https-port', 'x'])).stderr).toContain('--https-port x: a port is a number from 0 to 65535');
    expect((await cli(['up', dir, '--port', '9080', '--https-port', '9080'])).stderr).toContain('--https-port 9080: the HTTP listener has that port; choose another');
    const off = await startUp([dir, '--port', '0', '--no-https']);
    try {
      expect(off.stdout()).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+\n/);
      expect(off.stdout()).not.toContain('https://');
    } finally {
      await off.stop();
    }
    const configured = project('https-config', { 'web.yaml': webYaml, 'ingress-dev.yaml': 'listen: {http: 0, https: false}\n' });
    const config = await startUp([configured]);
    try {
      expect(config.stdout()).not.toContain('https://');
    } finally {
      await config.stop();
    }
    const bad = await cli(['up', project('https-bad', { 'web.yaml': webYaml, 'ingress-dev.yaml': 'listen: {https: yes-please}\n' })]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('listen.https must be a port number (0 picks a free port) or false');
  });

  it('--host 0.0.0.0 warns that the services become reachable from the network', async () => {
    const up = await startUp([project('exposed', { 'web.yaml': webYaml }), '--port', '0', '--host', '0.0.0.0']);
    try {
      expect(up.stderr()).toContain('reachable from the network');
      expect((await send(up.port, '/', { host: 'app.example.com' })).status).toBe(503);
    } finally {
      await up.stop();
    }
  });
});

describe('shutdown through the built binary', () => {
  it.each([['SIGINT', 130], ['SIGTERM', 143]] as const)('%s lets an in-flight request finish and exits %i', async (signal, code) => {
    let release: () => void = () => {};
    const upstream = http.createServer((_req, res) => {
      release = () => res.end('finished');
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const port = (upstream.address() as net.AddressInfo).port;
    const child = spawnCli(['up', project(`signal-${signal}`, { 'web.yaml': webYaml }), '--port', '0', '--map', `web=${port}`]);
    try {
      const url = await poll(() => /listening on (http:\/\/\S+)/.exec(child.output())?.[1] ?? null, 10_000, 'listening');
      const inFlight = send(Number(new URL(url).port), '/slow', { host: 'app.example.com' });
      await poll(() => (release.toString().includes('finished') ? true : null), 5_000, 'the request to reach the upstream');
      const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      child.kill(signal);
      await poll(() => (child.output().includes('stopping') ? true : null), 5_000, 'the stop message');
      release();
      expect(await inFlight).toMatchObject({ status: 200, body: 'finished' });
      expect(await exited).toBe(code);
    } finally {
      child.kill('SIGKILL');
      upstream.close();
    }
  });
});

/** A port nothing listens on (it was free a moment ago). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

function count(text: string, part: string): number {
  return text.split(part).length - 1;
}

describe('issue 10: the paper cuts of a new user', () => {
  it('item 4: a --host that does not resolve is a one-line error (exit 1), not an internal error', async () => {
    const r = await cli(['up', project('no-such-host', { 'web.yaml': webYaml }), '--port', '0', '--host', 'nosuchhost.invalid', '--no-watch', '--no-docker']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^ingress-dev up: cannot listen on nosuchhost\.invalid:0: the host name nosuchhost\.invalid does not resolve \((ENOTFOUND|EAI_AGAIN)\); choose another --host/);
    expect(r.stderr).not.toContain('internal error');
    expect(r.stderr).not.toContain('    at ');
  });

  it('item 8: the start-up list of unmapped Services lists only Service ports that exist', async () => {
    const ingress = [
      'apiVersion: networking.k8s.io/v1', 'kind: Ingress', 'metadata: {name: more}', 'spec:', '  rules:', '    - host: more.example.com', '      http:', '        paths:',
      '          - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}',
      '          - {path: /typo, pathType: Prefix, backend: {service: {name: web, port: {name: htp}}}}',
    ].join('\n');
    const up = await startUp([project('unmapped-list', { 'web.yaml': webYaml, 'more.yaml': ingress }), '--port', '0', '--no-watch', '--no-docker']);
    try {
      const unmapped = up.stdout().slice(up.stdout().indexOf('Unmapped Services'));
      expect(unmapped.split('\n').filter((l) => l.includes('--map '))).toEqual([`  ${'web:80 (http)'.padEnd(28)} --map web=PORT`]);
      expect(up.stdout()).toMatch(/→ api:80 +503: Service default\/api not found/);
      expect(up.stdout()).toMatch(/→ web:htp +503: Service default\/web has no port htp/);
    } finally {
      await up.stop();
    }
  }, 30_000);

  it('item 9: every --map flag and services: entry that maps nothing warns once, with the closest name', async () => {
    const admin = webYaml.replaceAll('web', 'admin');
    const dir = project('unused-mappings', { 'admin.yaml': admin, 'ingress-dev.yaml': 'services:\n  admin:\n    htp: echo\n  admn: echo\n' });
    const up = await startUp(['.', '--port', '0', '--no-docker', '--map', 'admin:9999=28001', '--map', 'admin:htp=28001', '--map', 'admn=28001', '--map', 'shop/admin=28001', '--map', 'admin:http=echo'], dir);
    try {
      const warnings = () => up.stderr().split('\n').filter((l) => l.startsWith('warning:'));
      expect(warnings()).toEqual([
        'warning: --map admin:9999=28001: Service admin has no port "9999" (its ports: 80 (http)); this mapping is not used',
        'warning: --map admin:htp=28001: Service admin has no port "htp" (did you mean "http"? its ports: 80 (http)); this mapping is not used',
        expect.stringMatching(/^warning: --map admn=28001: no Service "admn" in the folder \(did you mean "admin"\?\); this mapping is not used$/),
        'warning: --map shop/admin=28001: no Service "admin" in namespace "shop" (admin is in namespace default); this mapping is not used',
        'warning: ingress-dev.yaml:3: Service admin has no port "htp" (did you mean "http"? its ports: 80 (http)); this mapping is not used',
        expect.stringMatching(/^warning: ingress-dev\.yaml:4: no Service "admn" in the folder \(did you mean "admin"\?\); this mapping is not used$/),
      ]);
      // An entry added while running warns once; the others are not said again.
      writeFileSync(path.join(dir, 'ingress-dev.yaml'), 'services:\n  admin:\n    htp: echo\n  admn: echo\n  admin2: echo\n');
      await up.waitFor(/reloaded in/);
      await up.waitFor(/warning: ingress-dev\.yaml:5: no Service "admin2" in the folder/);
      expect(warnings()).toHaveLength(7);
    } finally {
      await up.stop();
    }
  }, 30_000);

  it('item 10: paths are relative to the current folder in every message of up (config errors, reload lines, rejections, warnings)', async () => {
    const parent = project('paths', {});
    mkdirSync(path.join(parent, 'proj', 'k8s'), { recursive: true });
    writeFileSync(path.join(parent, 'proj', 'k8s', 'ingress.yaml'), webYaml);
    writeFileSync(path.join(parent, 'bad.yaml'), 'services:\n  web: echo\nlisten: {htpp: 1}\n');
    const bad = await cli(['up', 'proj', '--config', 'bad.yaml', '--port', '0', '--no-watch', '--no-docker'], { cwd: parent });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^bad\.yaml:3:10: error E_CONFIG/m);
    expect(bad.stderr).toContain('fix bad.yaml first');
    expect(bad.stderr).not.toContain('../');

    writeFileSync(path.join(parent, 'good.yaml'), 'services:\n  web: echo\n  wbe: echo\n');
    const up = await startUp(['proj', '--config', 'good.yaml', '--port', '0', '--no-docker'], parent);
    try {
      expect(up.stderr()).toContain('warning: good.yaml:3: no Service "wbe"');
      writeFileSync(path.join(parent, 'proj', 'k8s', 'ingress.yaml'), webYaml.replace('path: /,', 'path: /v2,'));
      await up.waitFor(/reloaded in \d+ms: .*routes \(proj\/k8s\/ingress\.yaml\)/);
      writeFileSync(path.join(parent, 'proj', 'k8s', 'ingress.yaml'), `${webYaml}\n  bad: [\n`);
      await up.waitFor(/reload rejected: proj\/k8s\/ingress\.yaml:\d+:\d+ E_YAML_SYNTAX/);
      writeFileSync(path.join(parent, 'good.yaml'), 'services:\n  web: echo\n  wbe: echo\nlisten: {htpp: 1}\n');
      await up.waitFor(/reload rejected: good\.yaml:4:10 E_CONFIG/);
      expect(up.stdout() + up.stderr()).not.toContain('../');
    } finally {
      await up.stop();
    }
  }, 30_000);

  it('item 13: the plain log says when a mapped target stops accepting connections, and when it accepts them again, once each', async () => {
    const port = await closedPort();
    const up = await startUp([project('target-health', { 'web.yaml': webYaml }), '--port', '0', '--no-watch', '--no-docker', '--map', `web=${port}`]);
    const down = `warning: web:80 → http://127.0.0.1:${port} is not accepting connections; requests to it fail until it does`;
    const again = `web:80 → http://127.0.0.1:${port} is reachable again`;
    const upstream = http.createServer((_req, res) => res.end('ok'));
    try {
      await up.waitFor(new RegExp(down.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 10_000);
      await new Promise<void>((r) => upstream.listen(port, '127.0.0.1', r));
      await up.waitFor(new RegExp(again.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 10_000);
      expect((await send(up.port, '/', { host: 'app.example.com' })).status).toBe(200);
      upstream.closeAllConnections();
      await new Promise<void>((r) => upstream.close(() => r()));
      await poll(() => (count(up.stderr(), down) === 2 ? true : null), 10_000, 'the second "not accepting" line');
      expect(count(up.stderr(), again)).toBe(1);
    } finally {
      upstream.close();
      await up.stop();
    }
  }, 30_000);
});
