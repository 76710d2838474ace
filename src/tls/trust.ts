import { execFile } from 'node:child_process';
import { access, copyFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LocalCa } from './ca.js';

/**
 * Installing the local CA where browsers and tools look for trusted roots, as mkcert does: the
 * NSS databases of Chrome/Chromium (`~/.pki/nssdb`) and Firefox (each profile) with NSS's
 * `certutil`, and the system store where the platform allows it without a password; where it
 * needs root, the exact command is given instead. Every step says what it did, or why not.
 */
export interface TrustStep {
  readonly store: string;
  readonly outcome: 'done' | 'already' | 'skipped' | 'command' | 'failed';
  /** What happened, or the command to run (outcome `command`). */
  readonly detail: string;
}

export interface TrustOptions {
  readonly ca: LocalCa;
  readonly uninstall: boolean;
  /** NSS databases to use instead of the browsers' own (`--nss-db DIR`, repeatable). */
  readonly nssDbs?: readonly string[];
  /** Leave the system store alone (`--no-system`). */
  readonly system: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly platform?: NodeJS.Platform;
  readonly home?: string;
  /** Whether the process may write the system store (root on Linux). */
  readonly isRoot?: boolean;
}

/** The name the CA is known by in NSS databases: one per CA, so a new CA never replaces another's entry silently. */
export function nssNickname(ca: LocalCa): string {
  return `ingress-dev local CA ${ca.cert.fingerprint256.replaceAll(':', '').slice(0, 8).toLowerCase()}`;
}

export async function trustCa(options: TrustOptions): Promise<readonly TrustStep[]> {
  const platform = options.platform ?? process.platform;
  const home = options.home ?? os.homedir();
  const steps: TrustStep[] = [];
  const dbs = platform === 'win32' ? [] : options.nssDbs ?? (await browserNssDbs(home));
  if (platform === 'win32') {
    // Windows' certutil.exe is not NSS's, and Chrome and Edge read the Windows store (below).
    steps.push({ store: 'NSS (Firefox)', outcome: 'skipped', detail: 'on Windows, Firefox uses the Windows store once security.enterprise_roots.enabled is true in about:config' });
  } else if (dbs.length === 0) {
    steps.push({ store: 'NSS (Chrome, Firefox)', outcome: 'skipped', detail: 'no NSS database found (~/.pki/nssdb, Firefox profiles): start the browser once, then run this again' });
  } else {
    const certutil = await findCertutil(options.env ?? process.env);
    for (const db of dbs) steps.push(certutil === null ? { store: `NSS ${db}`, outcome: 'failed', detail: `certutil not found: install it (${certutilPackage(platform)}) and run this again` } : await nssStep(certutil, db, options));
  }
  if (options.system) steps.push(await systemStep(options, platform));
  return steps;
}

/** Chrome/Chromium's shared database and every Firefox profile's (snap and flatpak included). */
export async function browserNssDbs(home: string): Promise<string[]> {
  const found: string[] = [];
  // Chrome's and Chromium's shared database, and the Chromium snap's (as mkcert's truststore_nss.go lists them).
  for (const chrome of [path.join(home, '.pki', 'nssdb'), path.join(home, 'snap', 'chromium', 'current', '.pki', 'nssdb')]) {
    if (await exists(path.join(chrome, 'cert9.db'))) found.push(chrome);
  }
  for (const root of [path.join(home, '.mozilla', 'firefox'), path.join(home, 'snap', 'firefox', 'common', '.mozilla', 'firefox'), path.join(home, 'Library', 'Application Support', 'Firefox', 'Profiles')]) {
    const entries = await readdir(root).catch(() => [] as string[]);
    for (const entry of entries) {
      const dir = path.join(root, entry);
      if (await exists(path.join(dir, 'cert9.db'))) found.push(dir);
    }
  }
  return found;
}

async function nssStep(certutil: string, db: string, options: TrustOptions): Promise<TrustStep> {
  const store = `NSS ${db}`;
  const nickname = nssNickname(options.ca);
  const dbArg = `sql:${db}`;
  const present = await run(certutil, ['-L', '-d', dbArg, '-n', nickname]).then(() => true, () => false);
  try {
    if (options.uninstall) {
      if (!present) return { store, outcome: 'already', detail: 'not there' };
      await run(certutil, ['-D', '-d', dbArg, '-n', nickname]);
      return { store, outcome: 'done', detail: `removed "${nickname}"` };
    }
    if (present) return { store, outcome: 'already', detail: `"${nickname}" is there already` };
    // C,, : a CA trusted to issue server certificates (not e-mail or code signing).
    await run(certutil, ['-A', '-d', dbArg, '-t', 'C,,', '-n', nickname, '-i', options.ca.certFile]);
    return { store, outcome: 'done', detail: `added "${nickname}"` };
  } catch (err) {
    return { store, outcome: 'failed', detail: (err as Error).message };
  }
}

/** Debian/Ubuntu (update-ca-certificates), Fedora/RHEL (update-ca-trust), macOS (security), Windows (certutil, the user's store). */
async function systemStep(options: TrustOptions, platform: NodeJS.Platform): Promise<TrustStep> {
  const file = options.ca.certFile;
  const name = `ingress-dev-${options.ca.cert.fingerprint256.replaceAll(':', '').slice(0, 8).toLowerCase()}`;
  if (platform === 'darwin') {
    const command = options.uninstall ? `sudo security delete-certificate -c "${options.ca.cert.subject.match(/CN=([^\n]+)/)?.[1] ?? ''}" /Library/Keychains/System.keychain` : `sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain ${shellQuote(file)}`;
    return { store: 'macOS System keychain', outcome: 'command', detail: command };
  }
  if (platform === 'win32') {
    try {
      await run('certutil', options.uninstall ? ['-delstore', '-user', 'Root', options.ca.cert.serialNumber] : ['-addstore', '-user', 'Root', file]);
      return { store: 'Windows user Root store', outcome: 'done', detail: options.uninstall ? 'removed' : 'added' };
    } catch (err) {
      return { store: 'Windows user Root store', outcome: 'failed', detail: (err as Error).message };
    }
  }
  const debian = await exists('/usr/sbin/update-ca-certificates') || await exists('/usr/bin/update-ca-certificates');
  const fedora = !debian && (await exists('/usr/bin/update-ca-trust'));
  if (!debian && !fedora) return { store: 'system store', outcome: 'skipped', detail: 'no update-ca-certificates or update-ca-trust here: add the CA file to the system store by hand if tools other than browsers must trust it' };
  const target = debian ? path.join('/usr/local/share/ca-certificates', `${name}.crt`) : path.join('/etc/pki/ca-trust/source/anchors', `${name}.pem`);
  const update = debian ? 'update-ca-certificates' : 'update-ca-trust';
  const store = `system store (${target})`;
  const root = options.isRoot ?? process.getuid?.() === 0;
  if (!root) {
    return { store, outcome: 'command', detail: options.uninstall ? `sudo rm -f ${target} && sudo ${update}${debian ? ' --fresh' : ''}` : `sudo cp ${shellQuote(file)} ${target} && sudo ${update}` };
  }
  try {
    if (options.uninstall) {
      if (!(await exists(target))) return { store, outcome: 'already', detail: 'not there' };
      await rm(target, { force: true });
      await run(update, debian ? ['--fresh'] : []);
      return { store, outcome: 'done', detail: 'removed' };
    }
    if (await exists(target)) return { store, outcome: 'already', detail: 'there already' };
    await copyFile(file, target);
    await run(update, []);
    return { store, outcome: 'done', detail: 'added' };
  } catch (err) {
    return { store, outcome: 'failed', detail: (err as Error).message };
  }
}

async function findCertutil(env: Readonly<Record<string, string | undefined>>): Promise<string | null> {
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter((d) => d !== '')) {
    const file = path.join(dir, process.platform === 'win32' ? 'certutil.exe' : 'certutil');
    if (await exists(file)) return file;
  }
  return null;
}

function certutilPackage(platform: NodeJS.Platform): string {
  return platform === 'darwin' ? 'brew install nss' : 'apt install libnss3-tools, dnf install nss-tools or pacman -S nss';
}

function run(file: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`${path.basename(file)} ${args.join(' ')}: ${(stderr || err.message).trim()}`));
      else resolve(stdout);
    });
  });
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}

/** A path as a POSIX shell reads it: as it is when it has no special character, else in single quotes. */
export function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}
