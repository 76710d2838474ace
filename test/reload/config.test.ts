/**
 * Config file edits: mappings apply without restarting the listener; a listen address change says
 * that a restart is needed; an invalid config file keeps the last good mappings. And --no-watch.
 */
import { renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startUpstream, type Upstream } from '../proxy/harness.js';
import type { RunningUp } from '../up-harness.js';
import { count, get, ingressYaml, startUpIn, tempProject, waitForAnswer, waitForCount, waitForRoute, type TempProject } from './harness.js';

const host = 'app.example.com';
const manifests = ingressYaml('web', [{ host, paths: [{ path: '/', service: 'web' }] }]);

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const step of cleanup.toReversed()) await step();
  cleanup = [];
});

async function upstream(name: string): Promise<Upstream> {
  const u = await startUpstream((_req, res) => res.end(name));
  cleanup.push(() => u.close());
  return u;
}

function project(files: Record<string, string>): TempProject {
  const p = tempProject(files);
  cleanup.push(() => p.remove());
  return p;
}

async function start(p: TempProject, flags: readonly string[]): Promise<RunningUp> {
  const up = await startUpIn(p, flags);
  cleanup.push(async () => void expect(await up.stop()).toBe(130));
  return up;
}

describe('config file edits', { timeout: 15_000 }, () => {
  it('applies a changed mapping on the same listener: the next request goes to the new target', async () => {
    const a = await upstream('A');
    const b = await upstream('B');
    const p = project({ 'ingress.yaml': manifests, 'ingress-dev.yaml': `services:\n  web: ${a.port}\n` });
    const up = await start(p, ['--port', '0']);
    expect((await get(up.port, host, '/')).body).toBe('A');
    p.write('ingress-dev.yaml', `services:\n  web: ${b.port}\n`);
    await waitForAnswer(up.port, host, '/', (r) => r.body === 'B');
    await up.waitFor(/reloaded in \d+ms: no route changes \(ingress-dev\.yaml\)/);
    expect(count(up, /listening on/)).toBe(1);
  });

  it('keeps the last good mappings while the config file is invalid, and says where', async () => {
    const a = await upstream('A');
    const b = await upstream('B');
    const p = project({ 'ingress.yaml': manifests, 'ingress-dev.yaml': `services:\n  web: ${a.port}\n` });
    const up = await start(p, ['--port', '0']);
    let before = count(up, /reload rejected/);
    p.write('ingress-dev.yaml', `services:\n  web: ${b.port}\nservises: {}\n`);
    await waitForCount(up, /reload rejected/, before);
    expect(up.stderr()).toMatch(/reload rejected: ingress-dev\.yaml:3:1 E_CONFIG Unknown key "servises" in the config file; still serving the last good routes/);
    expect((await get(up.port, host, '/')).body).toBe('A');

    before = count(up, /reload rejected/);
    p.write('ingress-dev.yaml', `services: {web: ${b.port}\n`);
    await waitForCount(up, /reload rejected/, before);
    expect(up.stderr()).toMatch(/reload rejected: ingress-dev\.yaml:\d+:\d+ E_YAML_SYNTAX/);
    expect((await get(up.port, host, '/')).body).toBe('A');

    p.write('ingress-dev.yaml', `services: {web: ${b.port}}\n`);
    await waitForAnswer(up.port, host, '/', (r) => r.body === 'B');
  });

  it('applies the rest of a config edit and says a listen port change needs a restart', async () => {
    const a = await upstream('A');
    const b = await upstream('B');
    // No --port flag: the config file's listen port is the one in use (0: any free port).
    const p = project({ 'ingress.yaml': manifests, 'ingress-dev.yaml': `listen: {http: 0}\nservices:\n  web: ${a.port}\n` });
    const up = await start(p, []);
    // The HTTPS port is written too: with http 0 it was a free one as well, and stays so.
    p.write('ingress-dev.yaml', `listen: {http: 9090, https: 0}\nservices:\n  web: ${b.port}\n`);
    await waitForAnswer(up.port, host, '/', (r) => r.body === 'B');
    await up.waitFor(/warning: listen port changed from 0 to 9090: restart ingress-dev up to apply it/);
    // Without it, HTTPS would move from the free port to 8443: that needs a restart too.
    p.write('ingress-dev.yaml', `listen: {http: 9090}\nservices:\n  web: ${a.port}\n`);
    await waitForAnswer(up.port, host, '/', (r) => r.body === 'A');
    await up.waitFor(/warning: listen port changed from 0 to 9090, HTTPS port changed from 0 to 8443: restart ingress-dev up to apply them/);
  });

  it('watches a --config file outside the folder, replaced by a rename', async () => {
    const a = await upstream('A');
    const b = await upstream('B');
    const p = project({ 'ingress.yaml': manifests });
    const conf = project({ 'dev.yaml': `services:\n  web: ${a.port}\n` });
    const up = await start(p, ['--port', '0', '--config', path.relative(p.dir, conf.path('dev.yaml'))]);
    expect((await get(up.port, host, '/')).body).toBe('A');
    writeFileSync(conf.path('.dev.yaml.tmp'), `services:\n  web: ${b.port}\n`);
    renameSync(conf.path('.dev.yaml.tmp'), conf.path('dev.yaml'));
    await waitForAnswer(up.port, host, '/', (r) => r.body === 'B');
  });
});

describe('--no-watch', { timeout: 15_000 }, () => {
  it('serves what it read at start, while a watching up on the same folder has applied the edit', async () => {
    const p = project({ 'ingress.yaml': ingressYaml('web', [{ host, paths: [{ path: '/old', service: 'web' }] }]) });
    const fixed = await start(p, ['--port', '0', '--echo-unmapped', '--no-watch']);
    const watching = await start(p, ['--port', '0', '--echo-unmapped']);
    expect(fixed.stdout()).not.toMatch(/Watching/);
    expect(watching.stdout()).toMatch(/Watching the folder/);
    p.write('ingress.yaml', ingressYaml('web', [{ host, paths: [{ path: '/new', service: 'web' }] }]));
    await waitForRoute(watching, host, '/new', 'ingress:default/web#r0.p0');
    expect((await get(fixed.port, host, '/old')).route).toBe('ingress:default/web#r0.p0');
    expect((await get(fixed.port, host, '/new')).status).toBe(404);
    expect(fixed.stdout() + fixed.stderr()).not.toMatch(/reload/);
  });
});
