/**
 * Issue 10 item 17: Ctrl-C never leaves containers behind. A real process (the built CLI) gets
 * real signals: one while it starts (a pull still running, a container already created), and
 * a second one while it cleans up.
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from '../up-harness.js';
import { docker, exec, startEngine, waitFor } from './harness.js';

const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-signals-')));
const filter = (dir: string) => `label=ingress-dev.project.dir=${dir}`;
const dirs: string[] = [];
/** A registry that accepts connections and never answers: a pull from it takes as long as the test wants. */
let registry: net.Server;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  await startEngine();
  registry = net.createServer((s) => (sockets.add(s), s.on('error', () => undefined)));
  await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
}, 120_000);
afterAll(async () => {
  for (const s of sockets) s.destroy();
  registry.close();
  for (const dir of dirs) {
    const ids = (await docker('ps', '-aq', '--filter', filter(dir))).trim();
    if (ids !== '') await docker('rm', '-f', ...ids.split('\n'));
    const nets = (await docker('network', 'ls', '-q', '--filter', filter(dir))).trim();
    if (nets !== '') await docker('network', 'rm', ...nets.split('\n'));
  }
  rmSync(root, { recursive: true, force: true });
}, 60_000);

function deployment(name: string, image: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers: [{name: ${name}, image: "${image}", env: [{name: PORTS, value: "3000"}]}]
---
`;
}

function project(name: string, yaml: string): string {
  const dir = path.join(root, name);
  dirs.push(dir);
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'app.yaml'), yaml);
  return dir;
}

async function left(dir: string): Promise<string> {
  const containers = (await docker('ps', '-aq', '--filter', filter(dir))).trim();
  const networks = (await docker('network', 'ls', '-q', '--filter', filter(dir))).trim();
  return `${containers}${networks}`;
}

function exited(child: ReturnType<typeof spawnCli>): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

describe.sequential('Ctrl-C under up --run', () => {
  it('during start-up (a pull still running) stops it and removes the containers it created', async () => {
    const port = (registry.address() as net.AddressInfo).port;
    const dir = project('starting', deployment('web', 'ingress-dev-test/echo') + deployment('slow', `127.0.0.1:${port}/slow:1`));
    const child = spawnCli(['up', dir, '--port', '0', '--run', '--no-ui', '--no-watch']);
    try {
      await waitFor('the web container to exist while the pull hangs', async () => ((await docker('ps', '-aq', '--filter', filter(dir))).trim() !== '' ? true : undefined), 30_000);
      expect(child.output()).not.toContain('listening on');
      child.kill('SIGINT');
      expect(await exited(child)).toEqual({ code: 130, signal: null });
      expect(child.output()).toContain('Interrupted while starting');
      expect(await left(dir)).toBe('');
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);

  it('a second Ctrl-C while cleaning up hurries it, and still removes everything', async () => {
    // node as PID 1 ignores SIGTERM: every container takes its whole grace period to stop.
    const dir = project('stopping', deployment('web', 'ingress-dev-test/echo'));
    const child = spawnCli(['up', dir, '--port', '0', '--run', '--no-ui', '--no-watch']);
    try {
      await waitFor('up to listen', () => (/listening on/.test(child.output()) ? true : undefined), 30_000);
      child.kill('SIGINT');
      await waitFor('the cleanup to start', () => (/Interrupted: stopping/.test(child.output()) ? true : undefined), 10_000);
      child.kill('SIGINT');
      expect(await exited(child)).toEqual({ code: 130, signal: null });
      expect(child.output()).toContain('stopping now');
      expect(await left(dir)).toBe('');
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);

  it('a third Ctrl-C quits at once and prints the command that removes what is left, which does', async () => {
    const dir = project('quitting', deployment('web', 'ingress-dev-test/echo'));
    const child = spawnCli(['up', dir, '--port', '0', '--run', '--no-ui', '--no-watch']);
    try {
      await waitFor('up to listen', () => (/listening on/.test(child.output()) ? true : undefined), 30_000);
      child.kill('SIGINT');
      await waitFor('the cleanup to start', () => (/Interrupted: stopping/.test(child.output()) ? true : undefined), 10_000);
      // The third as soon as the second was handled (signals sent at once would merge into one).
      child.stderr?.on('data', (d: Buffer) => {
        if (d.toString().includes('stopping now')) child.kill('SIGINT');
      });
      child.kill('SIGINT');
      expect(await exited(child)).toEqual({ code: 130, signal: null });
      const command = /left without cleaning up: remove what this run created with: (.+)$/m.exec(child.output())?.[1];
      expect(command, child.output()).toMatch(/^docker rm -f \$\(docker ps -aq --filter label=ingress-dev\.run=[0-9a-f]+\); docker network rm ingress-dev-quitting-[0-9a-f]+$/);
      // Whatever the hurried cleanup did not get to, the printed command removes.
      await exec('bash', ['-c', `${command ?? 'false'} || true`]).catch(() => undefined);
      expect(await left(dir)).toBe('');
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
