/**
 * Manifests from elsewhere than the folder (issue 14, "Inputs beyond a folder of YAML"): -f
 * files and folders, -f - (stdin), --kustomize (a real kustomize or kubectl), --helm (a real
 * helm where installed; a recorded render through stdin always), and `manifests:` in
 * ingress-dev.yaml, for check, routes, explain, test and up (with hot reload).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, repoRoot } from './cli-harness.js';
import { startUp } from './up-harness.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-inputs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function folder(name: string, files: Record<string, string>): string {
  const dir = path.join(root, name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

const service = (name: string) => ['apiVersion: v1', 'kind: Service', `metadata: {name: ${name}}`, 'spec: {ports: [{name: http, port: 80}]}'].join('\n');
const ingress = (name: string, host: string, svc: string) => [
  'apiVersion: networking.k8s.io/v1', 'kind: Ingress', `metadata: {name: ${name}}`, 'spec:', '  rules:',
  `    - host: ${host}`, '      http:', '        paths:',
  `          - {path: /, pathType: Prefix, backend: {service: {name: ${svc}, port: {number: 80}}}}`,
].join('\n');
const broken = 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: broken}\nspec: {rules: [\n';

/** Where a program is installed, or null. */
function installed(program: string): string | null {
  const r = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}
const kustomizer = installed('kustomize') ?? installed('kubectl');
const helm = installed('helm');
if (kustomizer === null) process.stderr.write('test/inputs.test.ts: --kustomize tests skipped: neither kustomize nor kubectl is installed (.ci/run installs kubernetes-client)\n');
if (helm === null) process.stderr.write('test/inputs.test.ts: real --helm renders skipped: helm is not installed and no package registry here has it; the recorded render of test/fixtures/helm/web is tested through stdin instead\n');

describe('-f FILE and -f FOLDER', () => {
  const dir = folder('files', {
    'a.yaml': `${service('a')}\n---\n${ingress('a', 'a.example.com', 'a')}`,
    'b.yaml': `${service('b')}\n---\n${ingress('b', 'b.example.com', 'b')}`,
    'other/broken.yaml': broken,
    'more/c.yaml': `${service('c')}\n---\n${ingress('c', 'c.example.com', 'c')}`,
  });

  it('reads only the files named (repeatable), not the folder around them', async () => {
    const r = await cli(['routes', '-f', 'a.yaml', '-f', 'b.yaml'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('a.example.com');
    expect(r.stdout).toContain('b.example.com');
    expect(r.stdout).not.toContain('c.example.com');
    const check = await cli(['check', '-f', 'a.yaml'], { cwd: dir });
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('✓ 1 manifest file, 1 Ingress');
  });

  it('a folder given to -f is read as a folder; the project folder (positional) still holds the config', async () => {
    const r = await cli(['routes', dir, '-f', path.join(dir, 'more')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('c.example.com');
    expect(r.stdout).not.toContain('a.example.com');
    expect(r.stdout).toContain('more/c.yaml:');
  });

  it('a file that does not exist is a usage error naming it; --values without --helm too', async () => {
    const missing = await cli(['check', '-f', 'nope.yaml'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('-f nope.yaml: no such file or folder');
    const values = await cli(['check', '--values', 'v.yaml'], { cwd: dir });
    expect(values.code).toBe(2);
    expect(values.stderr).toContain('--values goes with --helm CHART');
  });

  it('up serves a file outside the project folder and reloads when it changes', async () => {
    const outside = folder('outside', { 'shop.yaml': `${service('shop')}\n---\n${ingress('shop', 'shop.example.com', 'shop')}` });
    const file = path.join(outside, 'shop.yaml');
    const up = await startUp(['-f', file, '--port', '0', '--no-https', '--echo-unmapped'], dir);
    try {
      expect(up.stdout()).toContain(`Watching ${file}: edits apply at once.`);
      writeFileSync(file, `${service('shop')}\n---\n${ingress('shop', 'store.example.com', 'shop')}`);
      await up.waitFor(/reloaded in \d+ms: .*shop\.yaml\)/);
      const status = await new Promise<number>((resolve, reject) => {
        http.get({ port: up.port, host: '127.0.0.1', path: '/', headers: { host: 'store.example.com' } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject);
      });
      expect(status).toBe(200);
    } finally {
      expect(await up.stop()).toBe(130);
    }
  });

  it('explain and test read the same inputs; test takes its own file with --tests, and says so when -f names one', async () => {
    const explain = await cli(['explain', 'http://b.example.com/x', '-f', 'b.yaml'], { cwd: dir });
    expect(explain.code, explain.stderr).toBe(0);
    expect(explain.stdout).toContain('ingress:default/b#r0.p0');
    writeFileSync(path.join(dir, 'routes.test.yaml'), 'tests:\n  - request: http://a.example.com/\n    expect: {status: 200, backend: a:80}\n');
    const test = await cli(['test', '-f', 'a.yaml', '--tests', 'routes.test.yaml'], { cwd: dir });
    expect(test.code, test.stdout + test.stderr).toBe(0);
    const only = await cli(['test', '-f', 'b.yaml', '--tests', 'routes.test.yaml'], { cwd: dir });
    expect(only.code).toBe(1);
    const mistaken = await cli(['test', '-f', 'routes.test.yaml'], { cwd: dir });
    expect(mistaken.code).toBe(2);
    expect(mistaken.stderr).toContain('give the route test file with --tests routes.test.yaml');
  });
});

describe('-f - (stdin)', () => {
  const render = readFileSync(path.join(repoRoot, 'test/fixtures/helm/web-render.yaml'), 'utf8');

  it('reads a helm render piped in: diagnostics point at the line of the stream and name the template (its # Source: comment)', async () => {
    const r = await cli(['check', '-f', '-'], { stdin: render, cwd: root });
    expect(r.code, r.stderr).toBe(0);
    // web/templates/ingress.yaml writes port: {{ .Values.servicePort }}: the shorthand, on line 30 of the stream.
    expect(r.stdout).toContain('<stdin>:30:23 (web/templates/ingress.yaml): warning W_PORT_SHORTHAND');
    expect(r.stdout).toContain('> 30 |                 port: 80');
    const json = await cli(['check', '-f', '-', '--json'], { stdin: render, cwd: root });
    expect(JSON.parse(json.stdout).diagnostics).toContainEqual(expect.objectContaining({ code: 'W_PORT_SHORTHAND', file: '<stdin>', line: 30, origin: 'web/templates/ingress.yaml' }));
    const routes = await cli(['routes', '-f', '-'], { stdin: render, cwd: root });
    expect(routes.stdout).toContain('release-name-web:80');
    expect(routes.stdout).toContain('<stdin>:25');
  });

  it('through a real pipe into the built binary: helm template . | ingress-dev check -f -', () => {
    const r = spawnSync(process.execPath, [path.join(repoRoot, 'bin/ingress-dev.js'), 'check', '-f', '-', '--quiet'], { input: render, cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('(web/templates/ingress.yaml): warning W_PORT_SHORTHAND');
    expect(r.stdout).toContain('✓ 1 manifest file, 1 Ingress, 1 route');
  });

  it('a YAML error in the stream is a diagnostic at its line, and check fails', async () => {
    const r = await cli(['check', '-f', '-'], { stdin: `${render}---\n${broken}`, cwd: root });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/<stdin>:36:1: error E_YAML_SYNTAX/);
  });
});

describe.skipIf(kustomizer === null)(`--kustomize DIR (with ${kustomizer ?? 'nothing'})`, () => {
  const dir = folder('kustomize', {
    'base/kustomization.yaml': 'resources: [web.yaml]\n',
    'base/web.yaml': `${service('web')}\n---\n${ingress('web', 'web.example.com', 'web')}\n`,
    'overlays/dev/kustomization.yaml': 'resources: [../../base]\nnamePrefix: dev-\nnamespace: shop\n',
    'broken/kustomization.yaml': 'resources: [not-there.yaml]\n',
  });

  it('reads the render: names, namespaces and references as kustomize rewrote them, at lines of the render', async () => {
    const r = await cli(['routes', '-k', 'overlays/dev'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('shop/dev-web:80');
    expect(r.stdout).toContain('ingress:shop/dev-web#r0.p0');
    expect(r.stdout).toMatch(/<kustomize overlays\/dev>:\d+/);
  });

  it('a render that fails is E_RENDER_FAILED with the tool\'s own words; check exits 1', async () => {
    const r = await cli(['check', '--kustomize', 'broken'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('<kustomize broken>: error E_RENDER_FAILED: ');
    expect(r.stdout).toContain('not-there.yaml');
  });

  it('up re-renders when a file of the kustomization changes, and a failing render keeps the last good routes', async () => {
    const live = folder('kustomize-live', {
      'base/kustomization.yaml': 'resources: [web.yaml]\n',
      'base/web.yaml': `${service('web')}\n---\n${ingress('web', 'web.example.com', 'web')}\n`,
      'overlays/dev/kustomization.yaml': 'resources: [../../base]\nnamePrefix: dev-\n',
    });
    const up = await startUp(['-k', 'overlays/dev', '--port', '0', '--no-https', '--echo-unmapped'], live);
    const get = (host: string) => new Promise<number>((resolve, reject) => {
      http.get({ port: up.port, host: '127.0.0.1', path: '/', headers: { host } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject);
    });
    try {
      expect(up.stdout()).toContain('Manifests: kustomize overlays/dev');
      expect(up.stdout()).toContain('Watching kustomize overlays/dev and its files: a change renders again');
      expect(await get('web.example.com')).toBe(200);
      // The base, outside the overlay's folder: a change there renders again too.
      writeFileSync(path.join(live, 'base/web.yaml'), `${service('web')}\n---\n${ingress('web', 'www.example.com', 'web')}\n`);
      await up.waitFor(/reloaded in \d+ms: .*\(base\/web\.yaml\)/);
      expect(await get('www.example.com')).toBe(200);
      expect(await get('web.example.com')).toBe(404);
      writeFileSync(path.join(live, 'overlays/dev/kustomization.yaml'), 'resources: [../../base, not-there.yaml]\n');
      await up.waitFor(/reload rejected: <kustomize overlays\/dev> E_RENDER_FAILED .*still serving the last good routes/);
      expect(await get('www.example.com')).toBe(200);
    } finally {
      expect(await up.stop()).toBe(130);
    }
  });
});

describe.skipIf(helm === null)('--helm CHART (a real helm)', () => {
  it('renders the chart as the recorded render says, with --values and --set', async () => {
    const chart = path.join(repoRoot, 'test/fixtures/helm/web');
    const r = await cli(['routes', '--helm', chart, '--set', 'host=app.example.com'], { cwd: root });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('app.example.com');
    expect(r.stdout).toContain('release-name-web:80');
  });
});

describe('--helm without helm installed', () => {
  it.skipIf(helm !== null)('says helm is not installed and how to pipe a render instead', async () => {
    const r = await cli(['check', '--helm', path.join(repoRoot, 'test/fixtures/helm/web')], { cwd: repoRoot });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('<helm test/fixtures/helm/web>: error E_RENDER_FAILED: cannot render test/fixtures/helm/web: helm is not installed');
    expect(r.stdout).toContain('helm template test/fixtures/helm/web | ingress-dev up -f -');
  });
});

describe('manifests: in ingress-dev.yaml', () => {
  it('names the files to read instead of the folder (paths relative to the config file); flags win over it', async () => {
    const dir = folder('config', {
      'ingress-dev.yaml': 'manifests:\n  files: [k8s/a.yaml]\n',
      'k8s/a.yaml': `${service('a')}\n---\n${ingress('a', 'a.example.com', 'a')}`,
      'k8s/b.yaml': `${service('b')}\n---\n${ingress('b', 'b.example.com', 'b')}`,
      'stray.yaml': broken,
    });
    const r = await cli(['routes', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('a.example.com');
    expect(r.stdout).not.toContain('b.example.com');
    const flag = await cli(['routes', dir, '-f', path.join(dir, 'k8s/b.yaml')]);
    expect(flag.stdout).toContain('b.example.com');
    expect(flag.stdout).not.toContain('a.example.com');
  });

  it('a mistake in it is a config error at its line', async () => {
    const dir = folder('config-bad', { 'ingress-dev.yaml': 'manifests:\n  helm: {values: [v.yaml]}\n  kustomise: x\n' });
    const r = await cli(['up', dir, '--port', '0'], { cwd: root });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ingress-dev.yaml:2:9: error E_CONFIG: manifests.helm needs a chart');
    expect(r.stderr).toContain('ingress-dev.yaml:3:3: error E_CONFIG: Unknown key "kustomise" in manifests');
  });
});
