/**
 * `ingress-dev trust` (issue 12): the local CA into an NSS database with NSS's own certutil (the
 * store Chrome and Firefox read on Linux), idempotent, and out again with --uninstall; --print for
 * NODE_EXTRA_CA_CERTS and curl; the exact sudo command where the system store needs root.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrCreateCa } from '../src/tls/ca.js';
import { browserNssDbs, nssNickname, trustCa } from '../src/tls/trust.js';
import { cli } from './cli-harness.js';
import { testTlsEnv } from './tls-env.js';

const temp = mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-trust-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));
const env = { ...testTlsEnv, PATH: process.env.PATH ?? '' };

function certutil(): string | null {
  try {
    return execFileSync('sh', ['-c', 'command -v certutil'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}
// Without certutil the NSS test is skipped, and says why in its name (.ci/run installs it).
const nss = certutil();

describe('ingress-dev trust', () => {
  it('--print prints the CA certificate\'s file, changing nothing', async () => {
    const r = await cli(['trust', '--print'], { env });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(path.join(testTlsEnv.INGRESS_DEV_HOME as string, 'ca', 'rootCA.pem'));
  });

  it.skipIf(nss === null)(`${nss === null ? '[skipped: certutil not found; apt-get install libnss3-tools] ' : ''}adds the CA to an NSS database as a trusted issuer of server certificates, once, and --uninstall removes it`, async () => {
    const db = path.join(temp, 'nssdb');
    execFileSync('mkdir', ['-p', db]);
    execFileSync(nss as string, ['-N', '-d', `sql:${db}`, '--empty-password']);
    const ca = await loadOrCreateCa(testTlsEnv);
    const listed = () => execFileSync(nss as string, ['-L', '-d', `sql:${db}`], { encoding: 'utf8' });
    const added = await cli(['trust', '--nss-db', db, '--no-system'], { env });
    expect(added.code).toBe(0);
    expect(added.stdout).toContain(`✓ NSS ${db}: added "${nssNickname(ca)}"`);
    expect(added.stdout).toContain(`export NODE_EXTRA_CA_CERTS=${ca.certFile}`);
    expect(listed()).toMatch(new RegExp(`${nssNickname(ca)}\\s+C,,`));
    const again = await cli(['trust', '--nss-db', db, '--no-system'], { env });
    expect(again.stdout).toContain('is there already');
    const removed = await cli(['trust', '--nss-db', db, '--no-system', '--uninstall'], { env });
    expect(removed.code).toBe(0);
    expect(removed.stdout).toContain(`removed "${nssNickname(ca)}"`);
    expect(listed()).not.toContain(nssNickname(ca));
  });

  it('finds the NSS databases browsers read: Chrome\'s, the Chromium snap\'s, and Firefox profiles on Linux (snap too) and macOS (mkcert\'s truststore_nss.go)', async () => {
    const home = path.join(temp, 'home');
    const dbs = [
      ['.pki', 'nssdb'],
      ['snap', 'chromium', 'current', '.pki', 'nssdb'],
      ['.mozilla', 'firefox', 'abc.default-release'],
      ['snap', 'firefox', 'common', '.mozilla', 'firefox', 'def.default'],
      ['Library', 'Application Support', 'Firefox', 'Profiles', 'ghi.default'],
    ].map((parts) => path.join(home, ...parts));
    for (const db of dbs) {
      mkdirSync(db, { recursive: true });
      writeFileSync(path.join(db, 'cert9.db'), '');
    }
    // A profile folder without a database is not one.
    mkdirSync(path.join(home, '.mozilla', 'firefox', 'Crash Reports'), { recursive: true });
    expect((await browserNssDbs(home)).toSorted()).toEqual(dbs.toSorted());
  });

  it('on Windows leaves NSS alone (its certutil.exe is not NSS\'s) and says how Firefox trusts the Windows store', async () => {
    const ca = await loadOrCreateCa(testTlsEnv);
    const steps = await trustCa({ ca, uninstall: false, system: false, platform: 'win32', home: path.join(temp, 'home') });
    expect(steps).toEqual([{ store: 'NSS (Firefox)', outcome: 'skipped', detail: expect.stringContaining('security.enterprise_roots.enabled') as string }]);
  });

  it('fails with what to install when certutil is missing', async () => {
    const ca = await loadOrCreateCa(testTlsEnv);
    const steps = await trustCa({ ca, uninstall: false, system: false, nssDbs: [path.join(temp, 'any')], env: { PATH: path.join(temp, 'empty') } });
    expect(steps).toEqual([{ store: `NSS ${path.join(temp, 'any')}`, outcome: 'failed', detail: 'certutil not found: install it (apt install libnss3-tools, dnf install nss-tools or pacman -S nss) and run this again' }]);
  });

  it('gives the exact sudo command for the system store when it needs root (Debian\'s update-ca-certificates)', async () => {
    const ca = await loadOrCreateCa(testTlsEnv);
    const steps = await trustCa({ ca, uninstall: false, system: true, nssDbs: [], isRoot: false, platform: 'linux' });
    const system = steps.find((s) => s.store.startsWith('system store'));
    if (system?.outcome === 'skipped') return; // a machine without update-ca-certificates or update-ca-trust
    expect(system?.outcome).toBe('command');
    expect(system?.detail).toMatch(/^sudo cp \S+rootCA\.pem \/(usr\/local\/share\/ca-certificates|etc\/pki\/ca-trust\/source\/anchors)\/ingress-dev-[0-9a-f]{8}\.(crt|pem) && sudo update-ca-(certificates|trust)$/);
    const mac = await trustCa({ ca, uninstall: false, system: true, nssDbs: [], platform: 'darwin' });
    expect(mac.at(-1)?.detail).toBe(`sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${ca.certFile}`);
  });
});
