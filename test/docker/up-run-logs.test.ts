/**
 * Issue 10 item 3: with `--no-ui`, `up --run` streams its containers' output, each line prefixed
 * with the container, as `docker compose up` does; `--no-logs` turns it off.
 */
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUp } from '../up-harness.js';
import { docker, removeProjectResources, startEngine, waitFor } from './harness.js';

const dirs: string[] = [];

beforeAll(startEngine, 300_000);
afterAll(async () => {
  for (const dir of dirs) {
    await removeProjectResources(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

/** A folder with one Deployment whose container writes a line to stdout and one to stderr, then waits. */
function project(marker: string): string {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-run-logs-')));
  dirs.push(dir);
  writeFileSync(
    path.join(dir, 'worker.yaml'),
    `apiVersion: apps/v1
kind: Deployment
metadata: {name: worker}
spec:
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers:
        - name: worker
          image: ingress-dev-test/httpd
          command: ["/bin/sh", "-c", "echo ${marker}-out; echo ${marker}-err >&2; exec sleep 300"]
`,
  );
  return dir;
}

async function containerOf(dir: string): Promise<string> {
  return waitFor('the container', async () => {
    const name = (await docker('ps', '-a', '--filter', `label=ingress-dev.project.dir=${dir}`, '--format', '{{.Names}}')).trim();
    return name === '' ? undefined : name.split('\n')[0];
  }, 30_000);
}

describe.sequential('up --run --no-ui streams the containers\' output', () => {
  it('prints stdout and stderr of a container, prefixed with its name', async () => {
    const dir = project('hello');
    const up = await startUp([dir, '--run', '--no-ui', '--no-watch', '--port', '0'], dir, { DOCKER_HOST: 'unix:///var/run/docker.sock' });
    try {
      const name = await containerOf(dir);
      await up.waitFor(new RegExp(`${name} \\| hello-out`), 30_000);
      await up.waitFor(new RegExp(`${name} \\| hello-err`), 30_000);
      expect(up.stdout()).toContain(`${name} | hello-out\n`);
      expect(up.stderr()).toContain(`${name} | hello-err\n`);
    } finally {
      expect(await up.stop()).toBe(130);
    }
  }, 90_000);

  it('--no-logs prints none of it', async () => {
    const dir = project('quiet');
    const up = await startUp([dir, '--run', '--no-ui', '--no-watch', '--no-logs', '--port', '0'], dir, { DOCKER_HOST: 'unix:///var/run/docker.sock' });
    try {
      const name = await containerOf(dir);
      await waitFor('the container to have written', async () => ((await docker('logs', name)).includes('quiet-out') ? true : undefined), 30_000);
      expect(up.stdout() + up.stderr()).not.toContain('quiet-out');
      expect(up.stdout() + up.stderr()).not.toContain('quiet-err');
    } finally {
      expect(await up.stop()).toBe(130);
    }
  }, 90_000);
});
