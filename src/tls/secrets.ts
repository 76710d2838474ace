import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { createDiagnostic, type Diagnostic, type SourcePosition } from '../diagnostics/diagnostic.js';
import type { OtherResource, ResourceSet } from '../manifest/types.js';
import type { ServedCertificate } from './certificates.js';

/**
 * The certificates a folder brings: for each `spec.tls` entry whose `secretName` names a
 * `kubernetes.io/tls` Secret of the Ingress's namespace in the folder, its `tls.crt` and
 * `tls.key`, checked (they parse, the key is the certificate's, the certificate covers the host
 * and is valid now). A pair that fails a check is reported at the `secretName` with what is
 * wrong, and its hosts get a certificate of the local CA instead, as a host whose Secret is not
 * in the folder does (the usual case: Secrets rarely live in the repository).
 */
export interface TlsSecrets {
  /** Lower-case host (`*.example.com` for a wildcard entry) → the pair served for it. */
  readonly served: ReadonlyMap<string, ServedCertificate>;
  readonly diagnostics: readonly Diagnostic[];
}

export function tlsSecrets(resources: ResourceSet, now: Date = new Date()): TlsSecrets {
  const served = new Map<string, ServedCertificate>();
  const diagnostics: Diagnostic[] = [];
  const read = new Map<OtherResource, ReadSecret>();
  for (const ing of resources.ingresses) {
    const subject = `Ingress ${ing.metadata.namespace}/${ing.metadata.name}`;
    for (const entry of ing.tls) {
      if (entry.secretName === null || entry.hosts.length === 0) continue;
      const name = entry.secretName.value;
      const secret = resources.others.find((o) => o.resourceKind === 'Secret' && o.metadata.namespace === ing.metadata.namespace && o.metadata.name === name);
      if (secret === undefined) continue;
      let pair = read.get(secret);
      if (pair === undefined) {
        pair = readSecret(secret);
        read.set(secret, pair);
      }
      const where = `Secret ${secret.metadata.namespace}/${name} (${formatAt(secret.metadata.at)})`;
      const fallback = 'its hosts get a certificate of the local CA instead';
      if ('problem' in pair) {
        diagnostics.push(createDiagnostic(pair.code, 'warning', `${subject}: ${where} ${pair.problem}; ${fallback}`, entry.secretName.at, pair.hint));
        continue;
      }
      const { cert } = pair;
      const notBefore = Date.parse(cert.validFrom);
      const notAfter = Date.parse(cert.validTo);
      if (now.getTime() > notAfter || now.getTime() < notBefore) {
        const when = now.getTime() > notAfter ? `expired on ${cert.validTo}` : `is not valid before ${cert.validFrom}`;
        diagnostics.push(createDiagnostic('W_TLS_CERT_EXPIRED', 'warning', `${subject}: the certificate of ${where} ${when}; ${fallback}`, entry.secretName.at,
          'Renew it (cert-manager does in the cluster), or remove the Secret from the folder to let ingress-dev issue one'));
        continue;
      }
      for (const host of entry.hosts) {
        const wanted = host.value.toLowerCase();
        if (served.has(wanted)) continue;
        if (!covers(cert, wanted)) {
          diagnostics.push(createDiagnostic('W_TLS_CERT_HOST', 'warning', `${subject}: the certificate of ${where} does not cover ${host.value} (it names ${namesOf(cert)}); this host gets a certificate of the local CA instead`, host.at,
            'Issue the certificate for this host too, or name a Secret whose certificate covers it'));
          continue;
        }
        served.set(wanted, { certPem: pair.certPem, keyPem: pair.keyPem, source: where });
      }
    }
  }
  gatewayCertificates(resources, now, served, diagnostics, (secret) => {
    let pair = read.get(secret);
    if (pair === undefined) {
      pair = readSecret(secret);
      read.set(secret, pair);
    }
    return pair;
  });
  return { served, diagnostics };
}

/**
 * Gateway API HTTPS listeners (gateway_types.go GatewayTLSConfig.CertificateRefs): the first
 * `kubernetes.io/tls` Secret of each listener, in the Gateway's namespace (another one needs a
 * ReferenceGrant from Gateways), served for the listener's hostname; for a listener without one,
 * for every DNS name the certificate names. Checked as `spec.tls` Secrets are; a Secret that is
 * not in the folder leaves the hosts to the local CA.
 */
function gatewayCertificates(resources: ResourceSet, now: Date, served: Map<string, ServedCertificate>, diagnostics: Diagnostic[], read: (secret: OtherResource) => ReadSecret): void {
  for (const gw of resources.gateways) {
    for (const listener of gw.listeners) {
      if (listener.protocol.value !== 'HTTPS' || listener.tls === null) continue;
      const ref = listener.tls.certificateRefs[0];
      if (ref === undefined || (ref.group ?? '') !== '' || (ref.kind ?? 'Secret') !== 'Secret') continue;
      const namespace = ref.namespace ?? gw.metadata.namespace;
      const subject = `Gateway ${gw.metadata.namespace}/${gw.metadata.name} listener ${listener.name.value}`;
      if (namespace !== gw.metadata.namespace && !resources.referenceGrants.some((g) => g.metadata.namespace === namespace && g.from.some((f) => f.group === 'gateway.networking.k8s.io' && f.kind === 'Gateway' && f.namespace === gw.metadata.namespace) && g.to.some((t) => t.group === '' && t.kind === 'Secret' && (t.name === null || t.name === ref.name.value)))) {
        diagnostics.push(createDiagnostic('W_TLS_SECRET_INVALID', 'warning', `${subject}: certificateRef to Secret ${namespace}/${ref.name.value} in another namespace is not allowed by a ReferenceGrant (ResolvedRefs: False, RefNotPermitted); its hosts get a certificate of the local CA instead`, ref.at,
          `Add a ReferenceGrant in namespace ${namespace} from Gateways of namespace ${gw.metadata.namespace} to Secrets`));
        continue;
      }
      const secret = resources.others.find((o) => o.resourceKind === 'Secret' && o.metadata.namespace === namespace && o.metadata.name === ref.name.value);
      if (secret === undefined) continue;
      const pair = read(secret);
      const where = `Secret ${namespace}/${ref.name.value} (${formatAt(secret.metadata.at)})`;
      const fallback = 'its hosts get a certificate of the local CA instead';
      if ('problem' in pair) {
        diagnostics.push(createDiagnostic(pair.code, 'warning', `${subject}: ${where} ${pair.problem}; ${fallback}`, ref.at, pair.hint));
        continue;
      }
      const { cert } = pair;
      if (now.getTime() > Date.parse(cert.validTo) || now.getTime() < Date.parse(cert.validFrom)) {
        diagnostics.push(createDiagnostic('W_TLS_CERT_EXPIRED', 'warning', `${subject}: the certificate of ${where} is not valid now (${cert.validFrom} to ${cert.validTo}); ${fallback}`, ref.at,
          'Renew it, or remove the Secret from the folder to let ingress-dev issue one'));
        continue;
      }
      const hostname = listener.hostname?.value.toLowerCase() ?? null;
      const names = hostname !== null ? [hostname] : (cert.subjectAltName ?? '').split(/,\s*/).filter((n) => n.startsWith('DNS:')).map((n) => n.slice(4).toLowerCase());
      for (const name of names) {
        if (served.has(name)) continue;
        const probe = name.startsWith('*.') ? `probe${name.slice(1)}` : name;
        if (cert.checkHost(probe) === undefined) {
          diagnostics.push(createDiagnostic('W_TLS_CERT_HOST', 'warning', `${subject}: the certificate of ${where} does not cover ${name} (it names ${namesOf(cert)}); this hostname gets a certificate of the local CA instead`, listener.hostname?.at ?? ref.at,
            'Issue the certificate for the listener\'s hostname, or name a Secret whose certificate covers it'));
          continue;
        }
        served.set(name, { certPem: pair.certPem, keyPem: pair.keyPem, source: where });
      }
    }
  }
}

type ReadSecret =
  | { readonly cert: X509Certificate; readonly key: KeyObject; readonly certPem: string; readonly keyPem: string }
  | { readonly code: 'W_TLS_SECRET_TYPE' | 'W_TLS_SECRET_INVALID'; readonly problem: string; readonly hint: string };

function readSecret(secret: OtherResource): ReadSecret {
  const raw = (secret.raw ?? {}) as { type?: unknown; data?: Record<string, unknown>; stringData?: Record<string, unknown> };
  const type = typeof raw.type === 'string' ? raw.type : 'Opaque';
  if (type !== 'kubernetes.io/tls') {
    return { code: 'W_TLS_SECRET_TYPE', problem: `is of type ${type}, not kubernetes.io/tls (the cluster's controller would not serve it either)`, hint: 'Create it with kubectl create secret tls NAME --cert=FILE --key=FILE' };
  }
  const field = (key: string): string | null => {
    const plain = raw.stringData?.[key];
    if (typeof plain === 'string') return plain;
    const encoded = raw.data?.[key];
    return typeof encoded === 'string' ? Buffer.from(encoded, 'base64').toString('utf8') : null;
  };
  const certPem = field('tls.crt');
  const keyPem = field('tls.key');
  const hint = 'Put the PEM certificate in tls.crt and its PEM key in tls.key (base64 under data:, or as they are under stringData:)';
  if (certPem === null || keyPem === null) return { code: 'W_TLS_SECRET_INVALID', problem: `has no ${certPem === null ? 'tls.crt' : 'tls.key'}`, hint };
  let cert: X509Certificate;
  let key: KeyObject;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    return { code: 'W_TLS_SECRET_INVALID', problem: `has a tls.crt that is not a PEM certificate (${(err as Error).message})`, hint };
  }
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    return { code: 'W_TLS_SECRET_INVALID', problem: `has a tls.key that is not a PEM private key (${(err as Error).message})`, hint };
  }
  if (!cert.checkPrivateKey(key)) return { code: 'W_TLS_SECRET_INVALID', problem: 'has a tls.key that is not the key of its tls.crt', hint: 'Put the key the certificate was issued for in tls.key' };
  return { cert, key, certPem, keyPem };
}

/** The certificate covers the host: a SAN (or CN) equal to it, or a wildcard of one label; a wildcard entry needs a wildcard certificate. */
function covers(cert: X509Certificate, host: string): boolean {
  if (host.startsWith('*.')) return (cert.subjectAltName ?? '').split(/,\s*/).some((n) => n.toLowerCase() === `dns:${host}`);
  return cert.checkHost(host) !== undefined;
}

function namesOf(cert: X509Certificate): string {
  const sans = (cert.subjectAltName ?? '').split(/,\s*/).filter((n) => n.startsWith('DNS:')).map((n) => n.slice(4));
  return sans.length > 0 ? sans.join(', ') : cert.subject.replace(/\n/g, ', ');
}

function formatAt(at: SourcePosition): string {
  return `${at.file}:${at.line}:${at.col}`;
}
