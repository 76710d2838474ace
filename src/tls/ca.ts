import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { createCaCertificate } from './x509.js';

/**
 * The local certificate authority that signs the certificates `up` serves for hosts without a
 * Secret of their own: ingress-dev's own, created on first use in the user's data folder (the
 * key readable by the user only), or mkcert's when it exists and ingress-dev has none yet, so
 * that browsers which already trust mkcert trust ingress-dev at once.
 */
export interface LocalCa {
  readonly certPem: string;
  readonly keyPem: string;
  readonly cert: X509Certificate;
  readonly key: KeyObject;
  /** The CA certificate's file: what `trust` installs, `--cacert` and NODE_EXTRA_CA_CERTS take. */
  readonly certFile: string;
  /** Where leaf certificates are cached on disk. */
  readonly cacheDir: string;
  /** `ingress-dev` (created here, now or before) or `mkcert` (reused). */
  readonly source: 'ingress-dev' | 'mkcert';
  /** It was created by this call. */
  readonly created: boolean;
}

export type Env = Readonly<Record<string, string | undefined>>;

const caCertName = 'rootCA.pem';
const caKeyName = 'rootCA-key.pem';

/**
 * ingress-dev's data folder: `$INGRESS_DEV_HOME`, else XDG on Linux (`$XDG_DATA_HOME/ingress-dev`,
 * `~/.local/share/ingress-dev`), `~/Library/Application Support/ingress-dev` on macOS,
 * `%LOCALAPPDATA%\ingress-dev` on Windows.
 */
export function dataDir(env: Env = process.env, platform: NodeJS.Platform = process.platform, home = os.homedir()): string {
  if (env.INGRESS_DEV_HOME !== undefined && env.INGRESS_DEV_HOME !== '') return env.INGRESS_DEV_HOME;
  return path.join(platformDataDir(env, platform, home), 'ingress-dev');
}

/** mkcert's CAROOT (mkcert's getCAROOT): `$CAROOT`, else its folder in the platform's data folder. */
export function mkcertCaRoot(env: Env = process.env, platform: NodeJS.Platform = process.platform, home = os.homedir()): string {
  if (env.CAROOT !== undefined && env.CAROOT !== '') return env.CAROOT;
  return path.join(platformDataDir(env, platform, home), 'mkcert');
}

function platformDataDir(env: Env, platform: NodeJS.Platform, home: string): string {
  if (platform === 'win32') return env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support');
  return env.XDG_DATA_HOME !== undefined && env.XDG_DATA_HOME !== '' ? env.XDG_DATA_HOME : path.join(home, '.local', 'share');
}

/**
 * The CA to sign with: ingress-dev's own when it exists, else mkcert's when it exists (its key
 * readable), else a new one of ingress-dev's. A CA whose files cannot be read as a certificate
 * and its key is an error that says which file, never silently replaced (a browser may trust it).
 */
export async function loadOrCreateCa(env: Env = process.env, now: Date = new Date()): Promise<LocalCa> {
  const home = dataDir(env);
  const own = await readCa(path.join(home, 'ca'));
  const cacheDir = path.join(home, 'certs');
  if (own !== null) return { ...own, cacheDir: path.join(cacheDir, fingerprintDir(own.cert)), source: 'ingress-dev', created: false };
  const mkcert = await readCa(mkcertCaRoot(env)).catch(() => null);
  if (mkcert !== null) return { ...mkcert, cacheDir: path.join(cacheDir, fingerprintDir(mkcert.cert)), source: 'mkcert', created: false };
  const dir = path.join(home, 'ca');
  await mkdir(home, { recursive: true, mode: 0o700 });
  const user = safeUserName();
  const { certPem, keyPem } = await createCaCertificate(`ingress-dev local CA (${user}@${os.hostname()})`, now);
  // Both files are written in a folder of their own, which then takes the CA folder's name in one
  // rename: two first starts at once never leave a certificate with another one's key.
  const staging = await mkdtemp(path.join(home, 'ca.new-'));
  await writeFile(path.join(staging, caKeyName), keyPem, { mode: 0o600 });
  await chmod(path.join(staging, caKeyName), 0o600);
  await writeFile(path.join(staging, caCertName), certPem, { mode: 0o644 });
  try {
    await rename(staging, dir);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw err;
    // Another start made it first: use that one.
    const theirs = await readCa(dir);
    if (theirs === null) throw err;
    return { ...theirs, cacheDir: path.join(cacheDir, fingerprintDir(theirs.cert)), source: 'ingress-dev', created: false };
  }
  const cert = new X509Certificate(certPem);
  return { certPem, keyPem, cert, key: createPrivateKey(keyPem), certFile: path.join(dir, caCertName), cacheDir: path.join(cacheDir, fingerprintDir(cert)), source: 'ingress-dev', created: true };
}

/** Where the CA that `up` would use is, without making one: ingress-dev's, else mkcert's; null when neither exists yet. */
export async function findCa(env: Env = process.env): Promise<{ readonly certFile: string; readonly source: 'ingress-dev' | 'mkcert' } | null> {
  for (const [dir, source] of [[path.join(dataDir(env), 'ca'), 'ingress-dev'], [mkcertCaRoot(env), 'mkcert']] as const) {
    try {
      await readFile(path.join(dir, caCertName));
      return { certFile: path.join(dir, caCertName), source };
    } catch {
      // not there
    }
  }
  return null;
}

/** The CA of a folder (`rootCA.pem`, `rootCA-key.pem`), or null when the folder has none. */
async function readCa(dir: string): Promise<Omit<LocalCa, 'cacheDir' | 'source' | 'created'> | null> {
  const certFile = path.join(dir, caCertName);
  const keyFile = path.join(dir, caKeyName);
  let certPem: string;
  try {
    certPem = await readFile(certFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const keyPem = await readFile(keyFile, 'utf8');
  let cert: X509Certificate;
  let key: KeyObject;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    throw new Error(`${certFile} is not a PEM certificate (${(err as Error).message})`, { cause: err });
  }
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    throw new Error(`${keyFile} is not a PEM private key (${(err as Error).message})`, { cause: err });
  }
  if (!cert.checkPrivateKey(key)) throw new Error(`${keyFile} is not the key of ${certFile}`);
  if (!cert.ca) throw new Error(`${certFile} is not a CA certificate (basicConstraints CA:FALSE)`);
  return { certPem, keyPem, cert, key, certFile };
}

/** Leaf certificates are cached per CA, so a CA replaced by hand never serves stale leaves. */
function fingerprintDir(cert: X509Certificate): string {
  return cert.fingerprint256.replaceAll(':', '').slice(0, 16).toLowerCase();
}

function safeUserName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'user';
  }
}
