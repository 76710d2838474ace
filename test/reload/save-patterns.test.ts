/**
 * Hot reload, end to end: the real `up` on a temp folder, files saved the way editors save
 * them, and the proxy asked until the new routes serve. No fixed sleeps: every wait is for a
 * condition, with a timeout.
 */
import { closeSync, ftruncateSync, mkdirSync, openSync, renameSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningUp } from '../up-harness.js';
import { count, get, ingressYaml, startUpIn, tempProject, waitForCount, waitForNotFound, waitForRoute, type TempProject } from './harness.js';

const host = 'app.example.com';
const web = (path: string) => ingressYaml('web', [{ host, paths: [{ path, service: 'web' }] }]);
const route = 'ingress:default/web#r0.p0';
const reloadLine = /reloaded in \d+ms|reload rejected/;

let project: TempProject;
let up: RunningUp;

beforeEach(async () => {
  project = tempProject({ 'ingress.yaml': web('/old'), 'README.md': '# not a manifest\n' });
  up = await startUpIn(project);
  expect((await get(up.port, host, '/old')).route).toBe(route);
});

afterEach(async () => {
  expect(await up.stop()).toBe(130);
  project.remove();
});

/** After the save, /new is served by the same route id and /old is gone. */
async function expectMovedToNew(): Promise<void> {
  await waitForRoute(up, host, '/new', route);
  expect((await get(up.port, host, '/old')).status).toBe(404);
}

describe('every way an editor saves a file is seen', { timeout: 15_000 }, () => {
  it('writes in place', async () => {
    project.write('ingress.yaml', web('/new'));
    await expectMovedToNew();
    await up.waitFor(/reloaded in \d+ms: \+0 −0 ~1 routes \(ingress\.yaml\)/);
  });

  it('writes a temp file, then renames it over the file (atomic save)', async () => {
    project.write('.ingress.yaml.tmp-4711', web('/new'));
    renameSync(project.path('.ingress.yaml.tmp-4711'), project.path('ingress.yaml'));
    await expectMovedToNew();
  });

  it('renames the file to a backup, writes a new one, deletes the backup (vim)', async () => {
    renameSync(project.path('ingress.yaml'), project.path('ingress.yaml~'));
    project.write('ingress.yaml', web('/new'));
    unlinkSync(project.path('ingress.yaml~'));
    await expectMovedToNew();
  });

  it('truncates, then writes', async () => {
    const fd = openSync(project.path('ingress.yaml'), 'r+');
    ftruncateSync(fd, 0);
    writeSync(fd, web('/new'));
    closeSync(fd);
    await expectMovedToNew();
  });

  it('truncates and writes half, then the rest after a reload read the half-written file', async () => {
    const text = web('/new');
    const half = text.indexOf('/new') + 2; // cut inside the path: `path: /n`
    const before = count(up, reloadLine);
    const fd = openSync(project.path('ingress.yaml'), 'r+');
    ftruncateSync(fd, 0);
    writeSync(fd, text.slice(0, half));
    await waitForCount(up, reloadLine, before);
    writeSync(fd, text.slice(half));
    closeSync(fd);
    await expectMovedToNew();
  });

  it('deletes the file and creates it again', async () => {
    unlinkSync(project.path('ingress.yaml'));
    project.write('ingress.yaml', web('/new'));
    await expectMovedToNew();
  });
});

describe('files and folders added, renamed and removed', { timeout: 15_000 }, () => {
  it('serves a new file in a new sub-folder', async () => {
    mkdirSync(project.path('k8s/team-a'), { recursive: true });
    project.write('k8s/team-a/api.yaml', ingressYaml('api', [{ host: 'api.example.com', paths: [{ path: '/v1', service: 'api' }] }]));
    await waitForRoute(up, 'api.example.com', '/v1', 'ingress:default/api#r0.p0');
    expect((await get(up.port, host, '/old')).route).toBe(route);
    await up.waitFor(/reloaded in \d+ms: \+1 −0 ~0 routes \(k8s\/team-a\/api\.yaml\)/);
  });

  it('follows a folder renamed: into a dot-folder (skipped) and back', async () => {
    project.write('apps/api.yaml', ingressYaml('api', [{ host: 'api.example.com', paths: [{ path: '/v1', service: 'api' }] }]));
    await waitForRoute(up, 'api.example.com', '/v1', 'ingress:default/api#r0.p0');
    renameSync(project.path('apps'), project.path('.apps-disabled'));
    await waitForNotFound(up, 'api.example.com', '/v1');
    renameSync(project.path('.apps-disabled'), project.path('services'));
    const answer = await waitForRoute(up, 'api.example.com', '/v1', 'ingress:default/api#r0.p0');
    expect(answer.status).toBe(200);
  });

  it('drops the routes of a file removed, and of a folder removed', async () => {
    project.write('k8s/api.yaml', ingressYaml('api', [{ host: 'api.example.com', paths: [{ path: '/v1', service: 'api' }] }]));
    await waitForRoute(up, 'api.example.com', '/v1', 'ingress:default/api#r0.p0');
    unlinkSync(project.path('ingress.yaml'));
    await waitForNotFound(up, host, '/old');
    rmSync(project.path('k8s'), { recursive: true });
    await waitForNotFound(up, 'api.example.com', '/v1');
  });

  it('ignores files that are not manifests and folders it does not read', async () => {
    const before = count(up, reloadLine);
    project.write('node_modules/pkg/ingress.yaml', ingressYaml('nm', [{ host: 'nm.example.com', paths: [{ path: '/', service: 'nm' }] }]));
    project.write('.git/ingress.yaml', ingressYaml('git', [{ host: 'git.example.com', paths: [{ path: '/', service: 'git' }] }]));
    project.write('notes.txt', 'apiVersion: v1\n');
    project.write('ingress-dev.test.yaml', 'tests: []\n');
    // A real edit after them: once it is served, the writes before it had their chance.
    project.write('ingress.yaml', web('/new'));
    await expectMovedToNew();
    expect(count(up, reloadLine)).toBe(before + 1);
    expect((await get(up.port, 'nm.example.com', '/')).status).toBe(404);
  });
});
