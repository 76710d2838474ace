/**
 * Issue 10 item 3: `ingress-dev logs [dir] [WORKLOAD] [-f] [--tail N]` prints the logs of the
 * containers `up --run` started for a folder, as `docker compose logs` does. The containers here
 * carry the labels the runner puts on its own (project and workload), on the real engine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectIdOf, runLabels } from '../../src/backends/docker/labels.js';
import { runCli } from '../../src/cli/main.js';
import { docker, removeRunContainers, runContainer, runId, startEngine, waitFor } from './harness.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-logs-'));
const labels = (workload: string): Record<string, string> => ({ [runLabels.project]: projectIdOf(dir), [runLabels.workload]: workload });
const web = `idt-${runId}-web-1`;
const api = `idt-${runId}-api-1`;
const worker = `idt-${runId}-worker-1`;

beforeAll(async () => {
  await startEngine();
  await runContainer({ name: web, labels: labels('Deployment/default/web'), shell: 'echo web-out-1; echo web-err-1 >&2; echo web-out-2; sleep 300' });
  await runContainer({ name: api, labels: labels('Deployment/default/api'), shell: 'echo api-out-1; sleep 300' });
  // stdout only: Docker orders one stream's lines, not lines of stdout against stderr.
  await runContainer({ name: worker, labels: labels('StatefulSet/default/worker'), shell: 'echo w-1; echo w-2; echo w-3; sleep 300' });
  const logged = async (name: string, line: string): Promise<boolean> => (await docker('logs', name)).includes(line);
  await waitFor('the containers to have logged', async () => ((await logged(web, 'web-out-2')) && (await logged(api, 'api-out-1')) && (await logged(worker, 'w-3')) ? true : undefined), 20_000);
}, 300_000);

afterAll(async () => {
  await removeRunContainers();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

interface Run {
  readonly code: Promise<number>;
  stdout(): string;
  stderr(): string;
  signal(signal: 'SIGINT' | 'SIGTERM'): void;
}

function logs(...argv: string[]): Run {
  let out = '';
  let err = '';
  const handlers = new Set<(s: 'SIGINT' | 'SIGTERM') => void>();
  const code = runCli(['logs', ...argv], {
    stdout: { write: (s: string) => (out += s), isTTY: false },
    stderr: { write: (s: string) => (err += s), isTTY: false },
    cwd: dir,
    env: { DOCKER_HOST: 'unix:///var/run/docker.sock' },
    onSignal: (h) => {
      handlers.add(h);
      return () => handlers.delete(h);
    },
  });
  return { code, stdout: () => out, stderr: () => err, signal: (s) => handlers.forEach((h) => h(s)) };
}

describe.sequential('ingress-dev logs (real engine)', () => {
  it('prints every container of the folder, stdout and stderr, each line prefixed with its container', async () => {
    const run = logs(dir);
    expect(await run.code).toBe(0);
    // Names are padded to the longest, as docker compose aligns them.
    expect(run.stdout()).toMatch(new RegExp(`${web} +\\| web-out-1\\n`));
    expect(run.stdout()).toMatch(new RegExp(`${web} +\\| web-out-2\\n`));
    expect(run.stdout()).toMatch(new RegExp(`${api} +\\| api-out-1\\n`));
    expect(run.stdout()).toContain(`${worker} | w-3\n`);
    expect(run.stderr()).toMatch(new RegExp(`${web} +\\| web-err-1\\n`));
  }, 30_000);

  it('prints one workload without prefixes, named as web, deployment/web or Deployment/default/web', async () => {
    for (const name of ['web', 'deployment/web', 'Deployment/default/web']) {
      const run = logs(dir, name);
      expect(await run.code).toBe(0);
      expect(run.stdout()).toBe('web-out-1\nweb-out-2\n');
      expect(run.stderr()).toBe('web-err-1\n');
    }
  }, 30_000);

  it('takes the workload alone when the current folder is the project', async () => {
    const run = logs('api');
    expect(await run.code).toBe(0);
    expect(run.stdout()).toBe('api-out-1\n');
  }, 30_000);

  it('--tail 2 prints the last two lines of each container', async () => {
    const run = logs(dir, 'worker', '--tail', '2');
    expect(await run.code).toBe(0);
    expect(run.stdout()).toBe('w-2\nw-3\n');
  }, 30_000);

  it('a misspelt workload fails with the closest name and the list', async () => {
    const run = logs(dir, 'wev');
    expect(await run.code).toBe(1);
    expect(run.stderr()).toContain('no workload "wev" has containers (did you mean "web"?)');
    expect(run.stderr()).toContain('Deployment/default/api');
  }, 30_000);

  it('a folder with no containers says how to start them', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-logs-empty-'));
    try {
      const run = logs(empty);
      expect(await run.code).toBe(1);
      expect(run.stderr()).toContain('--run');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }, 30_000);

  it('-f keeps printing new lines until Ctrl-C, then exits 130', async () => {
    const run = logs(dir, 'web', '-f');
    await waitFor('the lines so far', () => (run.stdout().includes('web-out-2') ? true : undefined), 10_000);
    await docker('exec', web, '/bin/sh', '-c', 'echo web-late > /proc/1/fd/1');
    await waitFor('the new line', () => (run.stdout().includes('web-late\n') ? true : undefined), 10_000);
    run.signal('SIGINT');
    expect(await run.code).toBe(130);
  }, 30_000);
});
