import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, fixtures } from './cli-harness.js';

const shop = path.join(fixtures, 'projects', 'shop');
const broken = path.join(fixtures, 'projects', 'broken');
const temp = mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-cli-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('usage', () => {
  it('prints help for the tool and for every command', async () => {
    const main = await cli(['--help']);
    expect(main.code).toBe(0);
    for (const command of ['check', 'routes', 'explain', 'test']) {
      expect(main.stdout).toContain(command);
      const help = await cli([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: ingress-dev ${command}`);
    }
  });

  it('prints the version from package.json', async () => {
    const r = await cli(['--version']);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([
    [['bogus'], 'unknown command "bogus"'],
    [['check', '--jsn'], 'unknown option --jsn'],
    [['check', '-z'], 'unknown option -z'],
    [['check', 'a', 'b'], 'unexpected argument "b"'],
    [['explain'], 'missing argument'],
    [['explain', '/x', '-X'], 'needs a value'],
    [['explain', 'ftp://x/y'], 'unsupported scheme'],
    [['explain', '/x', '-H', 'nocolon'], 'bad header'],
    [['check', 'does/not/exist'], 'folder not found'],
    [['check', '--json=yes'], 'takes no value'],
    [['up', 'examples/fanout', '--build', '--port', '0'], '--build goes with --run (it builds the images the workloads run)'],
    [['up', 'examples/fanout', '--no-build', '--port', '0'], '--no-build goes with --run'],
    [['check', '--set', 'a=b'], '--set goes with --helm CHART'],
  ])('%j is a usage error with one line of explanation (exit 2)', async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  });
});

describe('check', () => {
  it('passes a clean project and skips node_modules and dot-folders', async () => {
    const r = await cli(['check', shop]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('2 manifest files');
    expect(r.stdout).toContain('3 routes');
  });

  it('reports errors with file:line:col, a code frame and a hint, and exits 1', async () => {
    const r = await cli(['check', 'test/fixtures/projects/broken']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('test/fixtures/projects/broken/ingress.yaml:13:31: error E_SERVICE_NOT_FOUND');
    expect(r.stdout).toMatch(/> 13 \|\s+service: \{name: missing/);
    expect(r.stdout).toContain('hint:');
    expect(r.stdout).toContain('E_YAML_SYNTAX');
  });

  it('--json prints diagnostics with files relative to the folder', async () => {
    const r = await cli(['check', broken, '--json']);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as { diagnostics: Record<string, unknown>[] };
    const missing = json.diagnostics.find((d) => d.code === 'E_SERVICE_NOT_FOUND');
    expect(missing).toEqual({
      code: 'E_SERVICE_NOT_FOUND', severity: 'error', message: expect.stringContaining('missing'),
      file: 'ingress.yaml', line: 13, col: 31, hint: expect.any(String),
    });
    for (const d of json.diagnostics) expect(Object.keys(d).toSorted()).toEqual(['code', 'col', 'file', 'hint', 'line', 'message', 'severity']);
  });

  it('--strict fails on warnings', async () => {
    const dir = path.join(temp, 'warn');
    writeManifest(dir, 'ingress.yaml', [
      'apiVersion: v1', 'kind: Service', 'metadata: {name: web}', 'spec: {ports: [{port: 80}]}', '---',
      'apiVersion: networking.k8s.io/v1', 'kind: Ingress', 'metadata: {name: web}', 'spec:',
      '  defaultBackend: {service: {name: web, port: 80}}',
    ]);
    expect((await cli(['check', dir])).code).toBe(0);
    const strict = await cli(['check', dir, '--strict']);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain('W_PORT_SHORTHAND');
  });

  it('says so when a folder has no Ingress', async () => {
    const r = await cli(['check', path.join(fixtures, 'projects', 'empty')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('No Ingress found');
  });

  it('uses colour only on a terminal, and never with NO_COLOR', async () => {
    expect((await cli(['check', broken])).stdout).not.toContain('\u001b[');
    expect((await cli(['check', broken], { tty: true })).stdout).toContain('\u001b[');
    expect((await cli(['check', broken], { tty: true, env: { NO_COLOR: '1' } })).stdout).not.toContain('\u001b[');
  });
});

describe('routes', () => {
  it('prints the table grouped by host in match order', async () => {
    const r = await cli(['routes', shop]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('shop.example.com');
    const order = lines.filter((l) => l.includes('ingress:default/shop')).map((l) => l.trim().split(/\s+/)[0]);
    expect(order).toEqual(['/api/health', '/api', '/']);
    expect(r.stdout).toContain('k8s/nested/ingress.yml:');
    expect(r.stdout).toContain('none: requests that match no rule get 404');
  });

  it('--json gives hosts, routes and the default backend', async () => {
    const r = await cli(['routes', shop, '--json']);
    const json = JSON.parse(r.stdout) as { hosts: { host: string; routes: { id: string; backend: { service: string; port: number } }[] }[]; defaultBackend: unknown };
    expect(json.hosts).toHaveLength(1);
    expect(json.hosts[0]?.routes.map((x) => x.id)).toEqual(['ingress:default/shop#r0.p2', 'ingress:default/shop#r0.p1', 'ingress:default/shop#r0.p0']);
    expect(json.hosts[0]?.routes[1]?.backend).toMatchObject({ service: 'api', port: 8080, portName: 'http' });
    expect(json.defaultBackend).toBeNull();
  });

  it('still lists the good routes of a broken project, and says routes were left out', async () => {
    const r = await cli(['routes', broken]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('/ok');
    expect(r.stderr).toContain('run "ingress-dev check"');
  });
});

describe('explain', () => {
  it('explains a match, with the losers and why', async () => {
    const r = await cli(['explain', 'http://shop.example.com:8080/api/items?x=1', shop]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('200 → api:8080 (http) via ingress:default/shop#r0.p1');
    expect(r.stdout).toContain('upstream  /api/items?x=1');
    expect(r.stdout).toContain('ingress:default/shop#r0.p0');
    expect(r.stdout).toContain('shorter');
  });

  it('--json has status, route, backend, upstreamPath and candidates', async () => {
    const r = await cli(['explain', '/api/health', shop, '-H', 'Host: SHOP.example.com', '--json']);
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(json.status).toBe(200);
    expect(json.route).toMatchObject({ id: 'ingress:default/shop#r0.p2', pathType: 'Exact', source: { file: 'k8s/nested/ingress.yml' } });
    expect(json.backend).toMatchObject({ service: 'api', namespace: 'default', port: 8080, portName: 'http' });
    expect(json.upstreamPath).toBe('/api/health');
    expect(Array.isArray(json.candidates)).toBe(true);
  });

  it('a Host header wins over the URL host', async () => {
    const r = await cli(['explain', 'http://other.example.com/', shop, '-H', 'host: shop.example.com', '--json']);
    expect((JSON.parse(r.stdout) as { status: number }).status).toBe(200);
  });

  it('404 when nothing matches and there is no defaultBackend', async () => {
    const r = await cli(['explain', 'http://nope.example.com/', shop, '--json']);
    const json = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ status: 404, route: null, backend: null, upstreamPath: null });
    const text = await cli(['explain', 'http://nope.example.com/', shop]);
    expect(text.stdout).toContain('404 no route');
  });

  it('503 when the route matches but its Service is missing', async () => {
    const r = await cli(['explain', 'http://shop.example.com/x', broken, '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 503, backend: { service: 'missing', problem: expect.stringContaining('not found') } });
  });
});

describe('test', () => {
  it('runs the default test file and prints a summary', async () => {
    const r = await cli(['test', shop]);
    expect(r.stdout).toContain('4 passed, 0 failed');
    expect(r.code).toBe(0);
  });

  it('fails with the expectation that broke and the file line', async () => {
    const file = path.join(temp, 'failing.test.yaml');
    writeFileSync(file, [
      'tests:',
      '  - name: wrong backend',
      '    request: http://shop.example.com/api',
      '    expect: {backend: web:80, status: 200}',
      '  - request: http://shop.example.com/',
      '    expect: {status: 200}',
    ].join('\n'));
    const r = await cli(['test', shop, '--tests', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('✗ wrong backend');
    expect(r.stdout).toContain('backend: expected web:80, got api:8080 (http)');
    expect(r.stdout).toContain('failing.test.yaml:2');
    expect(r.stdout).toContain('1 passed, 1 failed');
  });

  it('reports a broken test file with its position', async () => {
    const file = path.join(temp, 'bad.test.yaml');
    writeFileSync(file, 'tests:\n  - request: /x\n    expect: {stauts: 200}\n');
    const r = await cli(['test', shop, '--tests', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('bad.test.yaml:3:14: error E_TEST_FILE');
  });

  it('a missing test file is a usage error', async () => {
    const r = await cli(['test', path.join(fixtures, 'projects', 'empty')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no test file');
  });
});

function writeManifest(dir: string, name: string, lines: string[]): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, name), `${lines.join('\n')}\n`);
}
