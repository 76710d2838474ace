import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createSecureContext, type SecureContext } from 'node:tls';
import path from 'node:path';
import type { LocalCa } from './ca.js';
import { createLeafCertificate } from './x509.js';

/** A certificate the folder provides (a `kubernetes.io/tls` Secret named by `spec.tls`), served as it is. */
export interface ServedCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  /** `Secret default/app-tls (k8s.yaml:12:3)`. */
  readonly source: string;
}

export interface CertificateStore {
  /** tls.Server's SNICallback: a Secret's certificate, else one the local CA issues for the name. */
  readonly sniCallback: (servername: string, callback: (err: Error | null, context?: SecureContext) => void) => void;
  /** For clients that send no server name (an IP address in the URL): `localhost`, 127.0.0.1 and ::1, as PEM for the server's own `cert` and `key`. */
  defaultCredentials(): Promise<{ readonly cert: string; readonly key: string }>;
  /** Issues (or loads) the certificate of a name now, so the first handshake does not wait. */
  warm(servername: string): Promise<void>;
}

export interface CertificateStoreOptions {
  readonly ca: LocalCa;
  /** Read at every handshake, like the route table: a reload swaps it. Keys are lower-case names, `*.example.com` for wildcards. */
  readonly served: () => ReadonlyMap<string, ServedCertificate>;
  readonly now?: () => Date;
}

const day = 24 * 60 * 60 * 1000;
/** Leaves are valid for 90 days and reissued when fewer than 30 remain. */
const leafDays = 90;
const renewDays = 30;
const defaultName = 'localhost';

interface Issued {
  readonly context: SecureContext;
  /** The certificate and its key, in PEM. */
  readonly pem: string;
  readonly notAfter: number;
}

/**
 * Certificates by SNI: the folder's own (Secrets), else leaves of the local CA, one per server
 * name, cached in memory and on disk (`<data>/certs/<CA>/<name>.pem`, key included, readable by
 * the user only) and reissued when they near expiry. Any name gets a certificate, so a client
 * that asks for a host no rule serves sees ingress-dev's 404, not a handshake error.
 */
export function createCertificateStore(options: CertificateStoreOptions): CertificateStore {
  const now = options.now ?? (() => new Date());
  const issued = new Map<string, Issued>();
  const pending = new Map<string, Promise<Issued>>();
  const secretContexts = new WeakMap<ServedCertificate, SecureContext>();

  const secretFor = (name: string) => servedFor(options.served(), name);

  async function leaf(name: string): Promise<Issued> {
    const cached = issued.get(name);
    if (cached !== undefined && cached.notAfter - now().getTime() > renewDays * day) return cached;
    let wait = pending.get(name);
    if (wait === undefined) {
      wait = loadOrIssue(options.ca, name, now()).finally(() => pending.delete(name));
      pending.set(name, wait);
    }
    const fresh = await wait;
    issued.set(name, fresh);
    return fresh;
  }

  function contextFor(servername: string): Promise<SecureContext> {
    const name = serverNameOf(servername);
    const secret = secretFor(name);
    if (secret !== null) {
      let context = secretContexts.get(secret.cert);
      if (context === undefined) {
        context = createSecureContext({ cert: secret.cert.certPem, key: secret.cert.keyPem });
        secretContexts.set(secret.cert, context);
      }
      return Promise.resolve(context);
    }
    return leaf(name).then((found) => found.context);
  }

  return {
    sniCallback(servername, callback) {
      contextFor(servername).then((context) => callback(null, context), (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))));
    },
    async defaultCredentials() {
      const { pem } = await leaf(defaultName);
      return { cert: pem, key: pem };
    },
    async warm(servername) {
      await contextFor(servername);
    },
  };
}

/** The folder's certificate for a server name: its own entry, else the wildcard of its first label. */
export function servedFor(served: ReadonlyMap<string, ServedCertificate>, name: string): { readonly key: string; readonly cert: ServedCertificate } | null {
  const exact = served.get(name);
  if (exact !== undefined) return { key: name, cert: exact };
  const dot = name.indexOf('.');
  const wildcard = dot === -1 ? undefined : `*${name.slice(dot)}`;
  const found = wildcard === undefined ? undefined : served.get(wildcard);
  return found === undefined || wildcard === undefined ? null : { key: wildcard, cert: found };
}

/**
 * The name a certificate is issued for: the SNI lower-cased without a trailing dot; anything that
 * is not a DNS name (nothing, an IP address sent by a non-conforming client, stray bytes) gets the
 * `localhost` certificate.
 */
export function serverNameOf(servername: string | undefined): string {
  const name = (servername ?? '').toLowerCase().replace(/\.$/, '');
  return /^(?=.{1,253}$)[a-z0-9_*]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(name) && !/^[\d.]+$/.test(name) ? name : defaultName;
}

/** A cached leaf when it is this CA's and has more than `renewDays` left; else a new one, cached. */
async function loadOrIssue(ca: LocalCa, name: string, now: Date): Promise<Issued> {
  const file = path.join(ca.cacheDir, `${name.replace(/^\*/, '_wildcard')}.pem`);
  try {
    const text = await readFile(file, 'utf8');
    const cert = new X509Certificate(text);
    const notAfter = Date.parse(cert.validTo);
    if (cert.checkIssued(ca.cert) && cert.verify(ca.cert.publicKey) && notAfter - now.getTime() > renewDays * day && cert.checkHost(name) !== undefined) {
      return { context: createSecureContext({ cert: text, key: text }), pem: text, notAfter };
    }
  } catch {
    // No cached leaf, or one that cannot be read: issue a new one.
  }
  const ipAddresses = name === defaultName ? ['127.0.0.1', '::1'] : [];
  const pem = await createLeafCertificate(ca, { dnsNames: [name], ipAddresses, notBefore: new Date(now.getTime() - day), notAfter: new Date(now.getTime() + leafDays * day) });
  const text = `${pem.certPem}${pem.keyPem}`;
  try {
    await mkdir(ca.cacheDir, { recursive: true, mode: 0o700 });
    // Written aside, then renamed: another `up` reading the cache never sees half a file.
    const aside = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    await writeFile(aside, text, { mode: 0o600 });
    await rename(aside, file);
  } catch {
    // A read-only data folder costs a new certificate at the next start, nothing more.
  }
  return { context: createSecureContext({ cert: pem.certPem, key: pem.keyPem }), pem: text, notAfter: now.getTime() + leafDays * day };
}
