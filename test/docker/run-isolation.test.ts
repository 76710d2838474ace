/**
 * Issue 10 item 1: two projects running at once each route only to their own `--run`
 * containers (both have a Deployment `web` labelled `app=web`), and a second `up --run` of the
 * same folder is refused with the running one named.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../cli-harness.js';
import { startUp, type RunningUp } from '../up-harness.js';
import { docker, get, removeRunContainers, runContainer, startEngine, waitFor, removeProjectResources, webDefaultBackendYaml, webWorkloadYaml } from './harness.js';

const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-isolation-')));
const dirs = { shop: path.join(root, 'shop'), blog: path.join(root, 'blog') };

beforeAll(startEngine, 120_000);
afterAll(async () => {
  await removeRunContainers();
  for (const dir of Object.values(dirs)) {
    await removeProjectResources(dir);
  }
  rmSync(root, { recursive: true, force: true });
}, 60_000);

function project(serviceName: string): string {
  return `${webWorkloadYaml(serviceName)}---\n${webDefaultBackendYaml}`;
}

function serviceOf(port: number): Promise<string | null> {
  return new Promise((resolve) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(res.statusCode === 200 ? ((JSON.parse(body) as { service: string }).service) : null));
      })
      .on('error', () => resolve(null));
  });
}

describe.sequential('two projects with up --run at once', () => {
  it('route each to its own containers, never to the other project\'s (issue 10 item 1)', async () => {
    for (const dir of Object.values(dirs)) mkdirSync(dir);
    writeFileSync(path.join(dirs.shop, 'app.yaml'), project('web'));
    writeFileSync(path.join(dirs.blog, 'app.yaml'), project('other-web'));
    const ups: RunningUp[] = [];
    try {
      ups.push(await startUp([dirs.shop, '--port', '0', '--run', '--no-watch']));
      ups.push(await startUp([dirs.blog, '--port', '0', '--run', '--no-watch']));
      const [shop, blog] = ups as [RunningUp, RunningUp];
      await waitFor('both projects to answer', async () => ((await serviceOf(shop.port)) === 'web' && (await serviceOf(blog.port)) === 'other-web' ? true : undefined), 30_000);
      // Both containers of both projects are running and ready: every request stays in its project.
      const seen = { shop: new Set<string | null>(), blog: new Set<string | null>() };
      for (let i = 0; i < 8; i++) {
        seen.shop.add(await serviceOf(shop.port));
        seen.blog.add(await serviceOf(blog.port));
      }
      expect([...seen.shop]).toEqual(['web']);
      expect([...seen.blog]).toEqual(['other-web']);

      // A container started by hand with the Service's labels is still discovered by both, as before.
      const hand = await runContainer({ name: `ingress-dev-hand-${path.basename(root).toLowerCase()}`, image: 'ingress-dev-test/echo', labels: { app: 'web' }, env: { SERVICE_NAME: 'hand', PORTS: '3000' } });
      // Asked only once it listens: a connection refused while it starts would take it out of rotation.
      const address = await docker('inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}', hand);
      await waitFor('the hand-started container to listen', async () => ((await get(`http://${address}:3000`)) === null ? undefined : true), 10_000);
      await waitFor('both projects to take turns with the hand-started container', async () => {
        seen.shop.add(await serviceOf(shop.port));
        seen.blog.add(await serviceOf(blog.port));
        return seen.shop.has('hand') && seen.blog.has('hand') ? true : undefined;
      }, 10_000);
      expect([...seen.shop].toSorted()).toEqual(['hand', 'web']);
      expect([...seen.blog].toSorted()).toEqual(['hand', 'other-web']);

      // The same folder again: refused, naming the run that holds it.
      const again = await cli(['up', dirs.shop, '--port', '0', '--run', '--no-watch', '--no-ui'], { env: {} });
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(new RegExp(`another ingress-dev up --run is running the workloads of \\S*shop \\(pid ${process.pid}, listening on ${shop.url.replace(/[.]/g, '\\.')}`));
      // Without --run, the same folder routes to that run's containers.
      const viewer = await startUp([dirs.shop, '--port', '0', '--no-watch']);
      ups.push(viewer);
      await waitFor('the viewer to route to the running project', async () => ((await serviceOf(viewer.port)) === 'web' ? true : undefined), 10_000);
    } finally {
      for (const up of ups.toReversed()) await up.stop();
    }
  }, 90_000);
});
