/**
 * `ingress-dev test --against URL` (issue 15): the route tests sent to a live ingress. Here the
 * "cluster" is a real `ingress-dev up` on loopback, and a small server whose backends name
 * themselves in a response header, as a cluster's would with --backend-header.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './cli-harness.js';
import { startUp, type RunningUp } from './up-harness.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-live-'));

describe('test --against a live ingress', () => {
  let up: RunningUp;
  let httpsPort: number;
  let cluster: http.Server;
  let clusterPort: number;

  beforeAll(async () => {
    up = await startUp(['examples/httpbin-host', '--port', '0', '--echo-unmapped']);
    httpsPort = Number(/and https:\/\/127\.0\.0\.1:(\d+)/.exec(up.stdout())?.[1]);
    // A cluster whose pods say who they are: /get is served by httpbin's pod, /admin by another Service.
    cluster = http.createServer((req, res) => {
      if (req.headers.host !== 'httpbin.enroutedemo.com') return void res.writeHead(404).end();
      res.setHeader('X-Served-By', req.url === '/admin' ? 'admin-6c7d8-q1w2e' : 'httpbin-5d9f8c-x2k4q');
      res.end('ok');
    });
    await new Promise<void>((resolve) => cluster.listen(0, '127.0.0.1', resolve));
    clusterPort = (cluster.address() as AddressInfo).port;
  }, 30_000);
  afterAll(async () => {
    await up.stop();
    await new Promise<void>((resolve) => cluster.close(() => resolve()));
    rmSync(root, { recursive: true, force: true });
  });

  it('the example passes against the emulation running it; what only the emulation can see is said, not passed', async () => {
    const r = await cli(['test', 'examples/httpbin-host', '--against', `http://127.0.0.1:${up.port}`]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`Against http://127.0.0.1:${up.port} (https:// tests: https://127.0.0.1):`);
    expect(r.stdout).toContain('✓ GET /get on the host → 200');
    expect(r.stdout).toContain('not checkable live: backend (name the response header your backends set with --backend-header), upstreamPath, route');
    expect(r.stdout).toMatch(/\d+ passed, 0 failed \(\d+ with expectations only the local emulation can check\)/);
  });

  it('https:// tests go to --against-https, with the test host as SNI (--insecure for a certificate this machine does not trust)', async () => {
    writeFileSync(path.join(root, 'https.test.yaml'), 'tests:\n  - name: over TLS\n    request: https://httpbin.enroutedemo.com/get\n    expect: {status: 200}\n');
    const args = ['test', 'examples/httpbin-host', '--tests', path.join(root, 'https.test.yaml'), '--against', `http://127.0.0.1:${up.port}`, '--against-https', `https://127.0.0.1:${httpsPort}`];
    const verified = await cli(args);
    expect(verified.code).toBe(1);
    expect(verified.stdout).toMatch(/request: (unable to verify|self[- ]signed|certificate)/i);
    const insecure = await cli([...args, '--insecure']);
    expect(insecure.code, insecure.stdout).toBe(0);
    expect(insecure.stdout).toContain('✓ over TLS → 200');
  });

  it('--backend-header checks the backend by the name the pod answers with; another Service is a failure', async () => {
    writeFileSync(path.join(root, 'backend.test.yaml'), [
      'tests:',
      '  - name: httpbin serves /get',
      '    request: http://httpbin.enroutedemo.com/get',
      '    expect: {status: 200, backend: httpbin:80}',
      '  - name: httpbin serves /admin',
      '    request: http://httpbin.enroutedemo.com/admin',
      '    expect: {status: 200, backend: httpbin:80}',
    ].join('\n'));
    const r = await cli(['test', 'examples/httpbin-host', '--tests', path.join(root, 'backend.test.yaml'), '--against', `http://127.0.0.1:${clusterPort}`, '--backend-header', 'X-Served-By', '--json']);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as { passed: number; failed: number; tests: { name: string; failures: string[] }[] };
    expect(json).toMatchObject({ passed: 1, failed: 1 });
    expect(json.tests[1]?.failures).toEqual(['backend: expected httpbin in X-Served-By, got admin-6c7d8-q1w2e']);
  });

  it('mistakes: nothing listening, a URL with a path, --backend-header without --against', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = await cli(['test', 'examples/httpbin-host', '--against', `http://127.0.0.1:${port}`]);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('request: connect ECONNREFUSED');
    expect((await cli(['test', 'examples/httpbin-host', '--against', 'http://127.0.0.1:1/api'])).stderr).toContain('give the address only');
    expect((await cli(['test', 'examples/httpbin-host', '--backend-header', 'X'])).stderr).toContain('--backend-header goes with --against URL');
  });
});
