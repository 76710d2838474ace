import { randomBytes, webcrypto } from 'node:crypto';

/**
 * Certificate generation with @peculiar/x509 (a maintained X.509 library over WebCrypto; no
 * ASN.1 written here), loaded on first use so that `up --no-https` and the offline commands never
 * load it. Keys are ECDSA P-256: quick to make (a leaf per host name is issued at its first
 * handshake) and accepted by every current browser and TLS stack.
 */

const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const day = 24 * 60 * 60 * 1000;

type X509 = typeof import('@peculiar/x509');
let loaded: Promise<X509> | null = null;

function library(): Promise<X509> {
  loaded ??= (async () => {
    // tsyringe, which @peculiar/x509 uses, needs the Reflect metadata API.
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as never);
    return x509;
  })();
  return loaded;
}

export interface Pem {
  readonly certPem: string;
  readonly keyPem: string;
}

/** A serial number as RFC 5280 wants it: positive, at most 20 bytes, unpredictable. */
function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] as number) & 0x7f;
  return bytes.toString('hex');
}

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
}

/** A CA certificate valid for ten years, for signing server certificates only (pathLen 0). */
export async function createCaCertificate(commonName: string, now: Date): Promise<Pem> {
  const x509 = await library();
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: [{ O: ['ingress-dev local CA'] }, { OU: [commonName.replace(/^ingress-dev local CA \((.*)\)$/, '$1')] }, { CN: [commonName] }],
    notBefore: new Date(now.getTime() - day),
    notAfter: new Date(now.getTime() + 3650 * day),
    keys: keys as never,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as never),
    ],
  });
  return { certPem: pemText(cert.toString('pem')), keyPem: await keyPem(keys.privateKey) };
}

export interface LeafRequest {
  /** DNS names (a wildcard `*.example.com` allowed) and IP addresses the certificate covers. */
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** A server certificate for `request`, signed by the CA (its PEM certificate and PKCS#8 key). */
export async function createLeafCertificate(ca: Pem, request: LeafRequest): Promise<Pem> {
  const x509 = await library();
  const caCert = new x509.X509Certificate(ca.certPem);
  // mkcert's CA is RSA; ingress-dev's own is ECDSA P-256.
  const rsa = caCert.publicKey.algorithm.name !== 'ECDSA';
  const signing = rsa ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } : algorithm;
  const caKey = await webcrypto.subtle.importKey('pkcs8', pemBody(ca.keyPem), rsa ? signing : { name: 'ECDSA', namedCurve: (caCert.publicKey.algorithm as { namedCurve?: string }).namedCurve ?? 'P-256' }, false, ['sign']);
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const names = [...request.dnsNames.map((value) => ({ type: 'dns' as const, value })), ...request.ipAddresses.map((value) => ({ type: 'ip' as const, value }))];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: [{ O: ['ingress-dev development certificate'] }, { CN: [request.dnsNames[0] ?? request.ipAddresses[0] ?? 'ingress-dev'] }],
    issuer: caCert.subject,
    notBefore: request.notBefore,
    notAfter: request.notAfter,
    signingKey: caKey as never,
    publicKey: keys.publicKey as never,
    signingAlgorithm: signing,
    extensions: [
      new x509.SubjectAlternativeNameExtension(names),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.BasicConstraintsExtension(false),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { certPem: pemText(cert.toString('pem')), keyPem: await keyPem(keys.privateKey) };
}

/** PEM with \n line ends and a final newline, so that a certificate and a key can be concatenated. */
function pemText(pem: string): string {
  const text = pem.replace(/\r\n/g, '\n');
  return text.endsWith('\n') ? text : `${text}\n`;
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}
