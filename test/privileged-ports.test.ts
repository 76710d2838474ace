/**
 * URLs without ports (issue 14): `up --port 80` (HTTPS on 443 with it) where the platform allows
 * it, and otherwise an error that says exactly what to run. Real binds on 80 and 443: as root
 * here, and as the user `nobody` (setpriv) for the refusal and for the sysctl the error suggests.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { privilegedPortAdvice, readUnprivilegedPortStart } from '../src/cli/privileged-port.js';
import { repoRoot } from './cli-harness.js';

const bin = path.join(repoRoot, 'bin/ingress-dev.js');
const example = path.join(repoRoot, 'examples/httpbin-host');
const root = typeof process.getuid === 'function' && process.getuid() === 0;
const setpriv = spawnSync('sh', ['-c', 'command -v setpriv'], { encoding: 'utf8' }).status === 0;
const sysctl = '/proc/sys/net/ipv4/ip_unprivileged_port_start';
const portsFree = (): boolean => spawnSync('sh', ['-c', 'ss -ltnH "( sport = :80 or sport = :443 )" | grep -q .'], { encoding: 'utf8' }).status !== 0;

// A home every user may write (the local CA goes there), outside the repository.
const home = mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-ports-'));
chmodSync(home, 0o777);
afterAll(() => rmSync(home, { recursive: true, force: true }));

function get(url: string, host: string, ca?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const lib = u.protocol === 'https:' ? https : http;
    lib.get({ host: '127.0.0.1', port: u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : Number(u.port), path: u.pathname, headers: { host }, ...(ca === undefined ? {} : { ca, servername: host }) }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

/** `up` as a child process (as `user` when given), until its start-up text shows, or it exits. */
function startUp(args: readonly string[], user?: string): Promise<{ output: string; code: number | null; stop: () => Promise<void> }> {
  const argv = user === undefined ? [bin, 'up', ...args] : ['--reuid', user, '--regid', 'nogroup', '--clear-groups', process.execPath, bin, 'up', ...args];
  const child = spawn(user === undefined ? process.execPath : 'setpriv', argv, { cwd: example, env: { ...process.env, INGRESS_DEV_HOME: path.join(home, user ?? 'root'), CAROOT: path.join(home, 'no-mkcert'), NO_COLOR: '1', CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const stop = async () => {
    child.kill('SIGINT');
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`up did not start within 20 s:\n${output}`)), 20_000);
    const check = () => {
      if (/Logging one line per request/.test(output)) {
        clearTimeout(timer);
        resolve({ output, code: null, stop });
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      resolve({ output, code, stop });
    });
  });
}

describe('privilegedPortAdvice (what the refusal says, per platform)', () => {
  it('Linux: the sysctl to the lowest port asked for, how to keep it, setcap on the node that runs, or the default ports', () => {
    const lines = privilegedPortAdvice({ platform: 'linux', host: '127.0.0.1', ports: [80, 443], unprivilegedPortStart: 1024, nodePath: '/usr/bin/node' });
    expect(lines).toEqual([
      'ports below 1024 need privileges on Linux (net.ipv4.ip_unprivileged_port_start = 1024): only root or a program with CAP_NET_BIND_SERVICE may listen on 80 and 443. Either:',
      '  sudo sysctl -w net.ipv4.ip_unprivileged_port_start=80',
      "    (until the next boot; to keep it: echo 'net.ipv4.ip_unprivileged_port_start=80' | sudo tee /etc/sysctl.d/50-ingress-dev.conf)",
      '  sudo setcap cap_net_bind_service=+ep /usr/bin/node',
      '    (lets every program this node runs open low ports; undone by reinstalling node)',
      '  or leave the ports as they are: http://app.example.com.localhost:8080/ works in every browser without either',
    ]);
  });

  it('macOS (since Mojave a user may open low ports on every address, not on 127.0.0.1): --host 0.0.0.0 or sudo', () => {
    const lines = privilegedPortAdvice({ platform: 'darwin', host: '127.0.0.1', ports: [80], unprivilegedPortStart: null, nodePath: '/opt/homebrew/bin/node' });
    expect(lines[0]).toBe('macOS lets a user listen on 80 on every address, not on 127.0.0.1 alone. Either:');
    expect(lines).toContain('  add --host 0.0.0.0 (ingress-dev is then reachable from the network: use it on a trusted one)');
    expect(lines).toContain('  run it with sudo');
  });
});

describe.skipIf(!root)('as root (CI runs as root)', () => {
  it.skipIf(!portsFree())('up --port 80 serves http:// and https:// without ports, and says so', async () => {
    const up = await startUp(['--port', '80', '--echo-unmapped', '--no-docker']);
    try {
      expect(up.code, up.output).toBeNull();
      expect(up.output).toContain('ingress-dev listening on http://127.0.0.1 and https://127.0.0.1\n');
      expect(up.output).toContain("try: curl -H 'Host: httpbin.enroutedemo.com' http://127.0.0.1/post");
      expect(up.output).toContain('http://httpbin.enroutedemo.com.localhost/post  (in a browser)');
      expect(up.output).toMatch(/--resolve httpbin\.enroutedemo\.com:443:127\.0\.0\.1 https:\/\/httpbin\.enroutedemo\.com\/post/);
      expect(await get('http://127.0.0.1/get', 'httpbin.enroutedemo.com.localhost')).toBe(200);
      const ca = readFileSync(path.join(home, 'root', 'ca', 'rootCA.pem'), 'utf8');
      expect(await get('https://127.0.0.1/get', 'httpbin.enroutedemo.com', ca)).toBe(200);
    } finally {
      await up.stop();
    }
  });

  const canRefuse = setpriv && (readUnprivilegedPortStart() ?? 0) > 80;
  it.skipIf(!canRefuse || !portsFree())('a user who may not open port 80 is told exactly what to run, and nothing is left listening', async () => {
    const up = await startUp(['--port', '80', '--echo-unmapped', '--no-docker'], 'nobody');
    expect(up.code, up.output).toBe(1);
    expect(up.output).toContain('ingress-dev up: cannot listen on 127.0.0.1:80: permission denied');
    expect(up.output).toContain(`  sudo sysctl -w net.ipv4.ip_unprivileged_port_start=80`);
    expect(up.output).toContain(`  sudo setcap cap_net_bind_service=+ep ${process.execPath}`);
    expect(portsFree()).toBe(true);
  });

  it.skipIf(!canRefuse || !portsFree())('the sysctl the error suggests lets that user open 80 and 443 (restored after)', async () => {
    const before = readFileSync(sysctl, 'utf8').trim();
    try {
      writeFileSync(sysctl, '80');
    } catch (e) {
      // A container's /proc/sys is read-only: nothing to prove here.
      process.stderr.write(`test/privileged-ports.test.ts: cannot set ${sysctl} (${(e as Error).message}); the sysctl case is not run\n`);
      return;
    }
    try {
      const up = await startUp(['--port', '80', '--echo-unmapped', '--no-docker'], 'nobody');
      try {
        expect(up.code, up.output).toBeNull();
        expect(await get('http://127.0.0.1/get', 'httpbin.enroutedemo.com')).toBe(200);
      } finally {
        await up.stop();
      }
    } finally {
      writeFileSync(sysctl, before);
    }
  });
});
