/**
 * What a reload does with a broken save: a file that does not parse keeps the last good routes
 * serving until it is fixed; a semantic error drops only the routes it concerns.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningUp } from '../up-harness.js';
import { count, get, ingressYaml, startUpIn, tempProject, waitForCount, waitForNotFound, waitForRoute, type TempProject } from './harness.js';

const host = 'app.example.com';
const twoPaths = ingressYaml('web', [{ host, paths: [{ path: '/a', service: 'web' }, { path: '/b', service: 'web' }] }]);

let project: TempProject;
let up: RunningUp;

afterEach(async () => {
  expect(await up.stop()).toBe(130);
  project.remove();
});

describe('a reload with problems', { timeout: 15_000 }, () => {
  it('keeps serving the last good routes while a file does not parse, says where, and applies the fix', async () => {
    project = tempProject({ 'k8s/ingress.yaml': twoPaths });
    up = await startUpIn(project);
    await waitForRoute(up, host, '/a', 'ingress:default/web#r0.p0');

    // A tab in the indentation of line 9 (`\t  - path: /b`): YAML rejects it.
    const lines = twoPaths.replace('/b', '/c').split('\n');
    const at = lines.findIndex((l) => l.includes('/c'));
    lines[at] = `\t${lines[at]?.slice(1) ?? ''}`;
    const before = count(up, /reload rejected/);
    project.write('k8s/ingress.yaml', lines.join('\n'));
    await waitForCount(up, /reload rejected/, before);
    expect(up.stderr()).toMatch(new RegExp(`reload rejected: k8s/ingress\\.yaml:${at + 1}:\\d+ E_YAML_SYNTAX .*; still serving the last good routes`));
    // Both old routes still serve; the new one is not there.
    expect((await get(up.port, host, '/a')).route).toBe('ingress:default/web#r0.p0');
    expect((await get(up.port, host, '/b')).route).toBe('ingress:default/web#r0.p1');
    expect((await get(up.port, host, '/c')).status).toBe(404);

    project.write('k8s/ingress.yaml', twoPaths.replace('/b', '/c'));
    await waitForRoute(up, host, '/c', 'ingress:default/web#r0.p1');
    expect((await get(up.port, host, '/b')).status).toBe(404);
    await up.waitFor(/reloaded in \d+ms: \+0 −0 ~1 routes \(k8s\/ingress\.yaml\)/);
  });

  it('a broken file keeps the routes of every file, not only its own', async () => {
    project = tempProject({ 'a.yaml': ingressYaml('a', [{ host, paths: [{ path: '/a', service: 'a' }] }]), 'b.yaml': ingressYaml('b', [{ host, paths: [{ path: '/b', service: 'b' }] }]) });
    up = await startUpIn(project);
    const before = count(up, /reload rejected/);
    project.write('b.yaml', 'apiVersion: [\n');
    project.write('a.yaml', ingressYaml('a', [{ host, paths: [{ path: '/a2', service: 'a' }] }]));
    await waitForCount(up, /reload rejected/, before);
    expect(up.stderr()).toMatch(/reload rejected: b\.yaml:\d+:\d+ E_YAML_SYNTAX/);
    expect((await get(up.port, host, '/a')).route).toBe('ingress:default/a#r0.p0');
    expect((await get(up.port, host, '/a2')).status).toBe(404);
  });

  it('applies the rest and drops only a broken route, with its diagnostic in the log', async () => {
    project = tempProject({ 'ingress.yaml': twoPaths });
    up = await startUpIn(project);
    // /b loses its leading slash (E_PATH_INVALID), and a new path /c is added.
    const edited = ingressYaml('web', [{ host, paths: [{ path: '/a', service: 'web' }, { path: 'b', service: 'web' }, { path: '/c', service: 'web' }] }]);
    project.write('ingress.yaml', edited);
    await waitForRoute(up, host, '/c', 'ingress:default/web#r0.p2');
    await waitForNotFound(up, host, '/b');
    expect((await get(up.port, host, '/a')).route).toBe('ingress:default/web#r0.p0');
    const line = edited.split('\n').findIndex((l) => l.includes('path: b')) + 1;
    await up.waitFor(/reloaded in \d+ms: \+1 −1 ~0 routes \(ingress\.yaml\); 1 error in the manifests/);
    await up.waitFor(new RegExp(`ingress\\.yaml:${line}:\\d+: error E_PATH_INVALID`));
  });

  it('reports a missing Service, and the route answers 503 until the Service is back', async () => {
    project = tempProject({ 'ingress.yaml': twoPaths });
    up = await startUpIn(project, ['--port', '0']);
    // Without --echo-unmapped an unmapped Service is a 503 too; tell the two apart by the page.
    project.write('ingress.yaml', twoPaths.replace('name: web\n                port', 'name: gone\n                port'));
    await up.waitFor(/error E_SERVICE_NOT_FOUND/);
    const answer = await get(up.port, host, '/a');
    expect(answer.status).toBe(503);
    expect(answer.body).toMatch(/gone/);
  });
});
