/**
 * Helpers for the tests against the real Docker engine: start it with the shared scripts,
 * run containers from the offline test images with labels that identify this run, and remove
 * them afterwards.
 */
import { execFile } from 'node:child_process';
import { createDockerDiscovery, formatDockerStatus, type DockerDiscovery } from '../../src/backends/docker/discovery.js';
import { createEventBus } from '../../src/events/bus.js';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** `../shared/scripts` next to the repository, in CI and here. */
export const scriptsDir = path.resolve(repoRoot, '../shared/scripts');

/** Every container of this run carries `ingress-dev.test=1` and `ingress-dev.test.run=<runId>`. */
export const runId = randomBytes(4).toString('hex');
export const runLabel = `ingress-dev.test.run=${runId}`;

export function exec(file: string, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(stdout.trim());
    });
  });
}

/** Start the engine and build the offline images (both scripts are idempotent and fast when done). */
export async function startEngine(): Promise<void> {
  for (const script of ['docker-up.sh', 'build-test-images.sh']) {
    const file = path.join(scriptsDir, script);
    if (!existsSync(file)) throw new Error(`${file} is missing: the Docker tests need the shared scripts next to the repository`);
    await exec('bash', [file], 240_000);
  }
}

export function docker(...args: string[]): Promise<string> {
  return exec('docker', args);
}

export interface RunOptions {
  readonly name: string;
  readonly labels?: Record<string, string>;
  readonly env?: Record<string, string>;
  readonly publish?: string;
  readonly image?: string;
  /** Replaces the image's command: `/bin/sh -c SCRIPT`. */
  readonly shell?: string;
}

/** `docker run -d` with this run's labels; resolves to the container id. */
export function runContainer(o: RunOptions): Promise<string> {
  const args = ['run', '-d', '--name', o.name, '--label', 'ingress-dev.test=1', '--label', runLabel];
  for (const [k, v] of Object.entries(o.labels ?? {})) args.push('--label', `${k}=${v}`);
  for (const [k, v] of Object.entries(o.env ?? {})) args.push('-e', `${k}=${v}`);
  if (o.publish !== undefined) args.push('-p', o.publish);
  if (o.shell !== undefined) args.push('--entrypoint', '/bin/sh');
  args.push(o.image ?? 'ingress-dev-test/httpd');
  if (o.shell !== undefined) args.push('-c', o.shell);
  return docker(...args);
}

/** Remove every container of this run, whatever state it is in. Never throws. */
export async function removeRunContainers(): Promise<void> {
  try {
    const ids = (await docker('ps', '-aq', '--filter', `label=${runLabel}`)).split('\n').filter((id) => id !== '');
    if (ids.length > 0) await docker('rm', '-f', '-v', ...ids);
  } catch {
    /* the engine is gone: nothing left to remove */
  }
}

/** Poll `check` until it returns a value (not undefined) or the time is up; no fixed sleeps. */
export async function waitFor<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** GET a URL on loopback or a container address; the body, or null when nothing answers. */
export async function get(origin: string, timeoutMs = 2_000): Promise<string | null> {
  try {
    const res = await fetch(`${origin}/`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? (await res.text()).trim() : null;
  } catch {
    return null;
  }
}

/**
 * Remove the containers and networks an `up --run` of `dir` created (by the project folder's
 * label), whatever a failed test left behind. Never throws.
 */
export async function removeProjectResources(dir: string): Promise<void> {
  const filter = `label=ingress-dev.project.dir=${dir}`;
  try {
    const ids = (await docker('ps', '-aq', '--filter', filter)).trim();
    if (ids !== '') await docker('rm', '-f', ...ids.split('\n'));
    const nets = (await docker('network', 'ls', '-q', '--filter', filter)).trim();
    if (nets !== '') await docker('network', 'rm', ...nets.split('\n'));
  } catch {
    /* the engine is gone: nothing left to remove */
  }
}

/**
 * A temporary project folder for `up --run` tests, with the engine started before them and,
 * after them, whatever they left of it removed (its containers and networks, then the folder).
 * `byProject` is the `docker ps --filter` that finds its containers (add `--filter
 * label=ingress-dev.workload` for the workloads' alone: the Services' relays carry the project's label too).
 */
export function useProjectFolder(prefix: string): { readonly dir: string; readonly byProject: string } {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), `ingress-dev-${prefix}-`)));
  beforeAll(startEngine, 120_000);
  afterAll(async () => {
    await removeProjectResources(dir);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);
  return { dir, byProject: `label=ingress-dev.project.dir=${dir}` };
}

/**
 * A Deployment `web` of the echo image (answering as `serviceName` on port 3000) and its Service
 * (port 80 → 3000): the smallest folder `up --run` serves.
 */
export function webWorkloadYaml(serviceName: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: ingress-dev-test/echo
          env: [{name: SERVICE_NAME, value: "${serviceName}"}, {name: PORTS, value: "3000"}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 3000}]
`;
}

/** An Ingress that sends every request to Service `web`. */
export const webDefaultBackendYaml = `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  defaultBackend: {service: {name: web, port: {number: 80}}}
`;

/** The engine started, and a discovery connected to it (the tests' socket, whatever DOCKER_HOST says). */
export async function connectedDiscovery(): Promise<DockerDiscovery> {
  await startEngine();
  const discovery = createDockerDiscovery({ events: createEventBus(), env: { ...process.env, DOCKER_HOST: 'unix:///var/run/docker.sock' } });
  const status = await discovery.ready();
  if (status.state !== 'connected') {
    discovery.stop();
    throw new Error(`Docker discovery did not connect: ${formatDockerStatus(status)}`);
  }
  return discovery;
}
