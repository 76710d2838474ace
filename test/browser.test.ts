/**
 * A real browser over HTTPS (issue 12): headless Chromium (Debian's package; .ci/run installs it)
 * trusts the local CA through an NSS database that `ingress-dev trust` filled, loads
 * https://HOST.localhost:PORT/ from `up` serving an example folder, and gets the page with no
 * certificate error. A screenshot is kept in test-artifacts/. The same page without the CA in
 * the browser's database shows nothing: the check can fail.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, repoRoot } from './cli-harness.js';
import { testTlsEnv } from './tls-env.js';
import { startUp, type RunningUp } from './up-harness.js';

function which(name: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

const chromium = which('chromium') ?? which('chromium-browser') ?? which('google-chrome');
const certutil = which('certutil');
const missing = chromium === null ? 'chromium' : certutil === null ? 'certutil' : null;
const temp = mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-browser-'));
const artifacts = path.join(repoRoot, 'test-artifacts');
let up: RunningUp | undefined;
let httpsPort = 0;

/** Headless Chromium with HOME (where it finds ~/.pki/nssdb) and a fresh profile; its stdout. */
/** Headless Chromium's DOM (or `(no page)` and why, from its log) for a page. */
function browse(home: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(chromium as string, ['--enable-logging=stderr', '--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${mkdtempSync(path.join(temp, 'profile-'))}`, ...args], { env: { ...process.env, HOME: home }, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      // Chromium's own account of a failed load (net::ERR_CERT_AUTHORITY_INVALID, …), for the failure message.
      const why = stderr.split('\n').filter((l) => /net::|handshake|cert/i.test(l)).join('\n');
      if (err !== null && stdout === '') reject(new Error(`${err.message}\n${why}`));
      else resolve(stdout === '' ? `(no page) ${why}` : stdout);
    });
  });
}

beforeAll(async () => {
  if (missing !== null) return;
  up = await startUp(['examples/httpbin-host', '--port', '0', '--echo-unmapped', '--no-docker', '--no-watch']);
  httpsPort = Number(/and https:\/\/127\.0\.0\.1:(\d+)/.exec(up.stdout())?.[1]);
}, 30_000);

afterAll(async () => {
  await up?.stop();
  rmSync(temp, { recursive: true, force: true });
});

describe('a real browser over HTTPS', () => {
  it.skipIf(missing !== null)(`${missing === null ? '' : `[skipped: ${missing} not found; apt-get install chromium libnss3-tools] `}loads https://HOST.localhost:PORT/ with no certificate error once ingress-dev trust filled its NSS database`, async () => {
    const home = path.join(temp, 'trusting');
    const db = path.join(home, '.pki', 'nssdb');
    mkdirSync(db, { recursive: true });
    execFileSync(certutil as string, ['-N', '-d', `sql:${db}`, '--empty-password']);
    const trusted = await cli(['trust', '--nss-db', db, '--no-system'], { env: { ...testTlsEnv, PATH: process.env.PATH ?? '' } });
    expect(trusted.code, trusted.stdout + trusted.stderr).toBe(0);
    const url = `https://httpbin.enroutedemo.com.localhost:${httpsPort}/get?from=chromium`;
    const dom = await browse(home, ['--dump-dom', url]);
    expect(dom).toContain('"path": "/get?from=chromium"');
    expect(dom).toContain('"x-forwarded-proto": "https"');
    expect(dom).toContain('"route": "ingress:default/httpbin#r0.p1"');
    mkdirSync(artifacts, { recursive: true });
    const shot = path.join(artifacts, 'browser-https.png');
    await browse(home, [`--screenshot=${shot}`, '--window-size=1000,700', url]);
    expect(existsSync(shot)).toBe(true);
    await up?.waitFor(/GET https:\/\/httpbin\.enroutedemo\.com\.localhost:\d+\/get\?from=chromium 200 .* \[h2\]/);
  }, 120_000);

  it.skipIf(missing !== null)('shows nothing of the page to a browser whose NSS database lacks the CA (the certificate error)', async () => {
    const home = path.join(temp, 'untrusting');
    mkdirSync(home, { recursive: true });
    const dom = await browse(home, ['--dump-dom', `https://httpbin.enroutedemo.com.localhost:${httpsPort}/get?from=untrusted`]);
    expect(dom).not.toContain('"path": "/get?from=untrusted"');
    expect(dom).toMatch(/^\(no page\)[\s\S]*ERR_CERT_AUTHORITY_INVALID/);
  }, 120_000);
});
