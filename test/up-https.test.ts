/**
 * `ingress-dev up` over HTTPS (issue 12), end to end with the real CLI: the folder's own
 * kubernetes.io/tls Secret served as it is for its host, the local CA's certificate for every
 * other host, the Secret problems check reports (and the fallback they get), ingress-nginx's
 * https:// redirect pointing at the local HTTPS port, and the same routing over HTTP/2.
 * Clients verify the chain (never rejectUnauthorized: false).
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCaCertificate, createLeafCertificate, type Pem } from '../src/tls/x509.js';
import { cli } from './cli-harness.js';
import { testTlsEnv } from './tls-env.js';
import { startUp, type RunningUp } from './up-harness.js';

const temp = mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-up-https-'));
const day = 24 * 60 * 60 * 1000;
let otherCa: Pem;
let dir: string;
let up: RunningUp;
let httpsPort: number;
let localCa: string;

function secret(name: string, pem: Pem, type = 'kubernetes.io/tls'): string {
  return `---
apiVersion: v1
kind: Secret
metadata: {name: ${name}}
type: ${type}
data:
  tls.crt: ${Buffer.from(pem.certPem).toString('base64')}
  tls.key: ${Buffer.from(pem.keyPem).toString('base64')}
`;
}

function ingress(name: string, host: string, secretName: string, cls = 'nginx'): string {
  return `---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: ${name}}
spec:
  ingressClassName: ${cls}
  tls: [{hosts: [${host}], secretName: ${secretName}}]
  rules:
    - host: ${host}
      http:
        paths:
          - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
`;
}

beforeAll(async () => {
  const now = new Date();
  otherCa = await createCaCertificate('a team CA', now);
  const leaf = (names: string[], from: number, to: number) => createLeafCertificate(otherCa, { dnsNames: names, ipAddresses: [], notBefore: new Date(now.getTime() + from), notAfter: new Date(now.getTime() + to) });
  const good = await leaf(['secure.example.com'], -day, 30 * day);
  const expired = await leaf(['expired.example.com'], -30 * day, -day);
  const wrongHost = await leaf(['other.example.com'], -day, 30 * day);
  dir = path.join(temp, 'project');
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'k8s.yaml'), [
    ingress('secure', 'secure.example.com', 'secure-tls'), secret('secure-tls', good),
    ingress('expired', 'expired.example.com', 'expired-tls'), secret('expired-tls', expired),
    ingress('wrong', 'wrong.example.com', 'wrong-tls'), secret('wrong-tls', wrongHost),
    ingress('opaque', 'opaque.example.com', 'opaque-tls'), secret('opaque-tls', good, 'Opaque'),
    ingress('absent', 'absent.example.com', 'not-in-the-folder'),
    ingress('plain', 'plain.example.com', 'plain-tls', 'other'),
    '---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n',
  ].join(''));
  up = await startUp([dir, '--port', '0', '--echo-unmapped', '--no-docker', '--no-watch']);
  httpsPort = Number(/and https:\/\/127\.0\.0\.1:(\d+)/.exec(up.stdout())?.[1]);
  localCa = readFileSync(path.join(testTlsEnv.INGRESS_DEV_HOME as string, 'ca', 'rootCA.pem'), 'utf8');
}, 30_000);

afterAll(async () => {
  await up?.stop();
  rmSync(temp, { recursive: true, force: true });
});

/** Real curl (Debian's, with nghttp2), verifying against the given CA. */
function curl(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--max-time', '20', ...args], (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

function get(host: string, ca: string, pathname = '/'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; cert: X509Certificate }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port: httpsPort, servername: host, path: pathname, headers: { host }, ca, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, cert: (res.socket as tls.TLSSocket).getPeerX509Certificate() as X509Certificate }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('up over HTTPS', () => {
  it('says where it listens for HTTPS and prints a curl --cacert line per host that real curl runs, over HTTP/1.1 and HTTP/2', async () => {
    expect(httpsPort).toBeGreaterThan(0);
    const lines = [...up.stdout().matchAll(/curl --cacert (\S+) --resolve (\S+):(\d+):127\.0\.0\.1 (https:\/\/\S+)/g)];
    // One per host; the Secret's host is named by its .localhost alias, whose certificate the local CA signs.
    expect(lines.map((m) => m[2]).toSorted()).toEqual(['absent.example.com', 'expired.example.com', 'opaque.example.com', 'plain.example.com', 'secure.example.com.localhost', 'wrong.example.com']);
    for (const [, caFile, host, port, url] of lines) {
      expect(caFile).toBe(path.join(testTlsEnv.INGRESS_DEV_HOME as string, 'ca', 'rootCA.pem'));
      expect(Number(port)).toBe(httpsPort);
      for (const version of ['--http1.1', '--http2']) {
        const out = await curl([version, '--cacert', caFile ?? '', '--resolve', `${host ?? ''}:${port ?? ''}:127.0.0.1`, '-w', '\n%{http_version} %{ssl_verify_result}', url ?? '']);
        expect(out.code, `${version} ${url ?? ''}: ${out.stderr}`).toBe(0);
        expect(out.stdout.endsWith(`\n${version === '--http2' ? '2' : '1.1'} 0`), out.stdout).toBe(true);
        expect(JSON.parse(out.stdout.slice(0, out.stdout.lastIndexOf('\n')))).toMatchObject({ headers: { 'x-forwarded-proto': 'https' } });
      }
    }
  });

  it('curl through the forward proxy (curl -x … https://) gets the routed answer with a certificate it verifies against the local CA', async () => {
    const caFile = path.join(testTlsEnv.INGRESS_DEV_HOME as string, 'ca', 'rootCA.pem');
    const out = await curl(['--cacert', caFile, '-x', `http://127.0.0.1:${up.port}`, 'https://absent.example.com/via-proxy']);
    expect(out.code, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ path: '/via-proxy', headers: { 'x-forwarded-proto': 'https', 'x-forwarded-port': '443' } });
    // A CA that did not sign it: curl refuses (the check can fail).
    const otherFile = path.join(temp, 'other-ca.pem');
    writeFileSync(otherFile, otherCa.certPem);
    const refused = await curl(['--cacert', otherFile, '-x', `http://127.0.0.1:${up.port}`, 'https://absent.example.com/']);
    expect(refused.code).toBe(60);
  });

  it('serves the folder\'s kubernetes.io/tls Secret as it is for its host', async () => {
    const reply = await get('secure.example.com', otherCa.certPem);
    expect(reply.status).toBe(200);
    expect(reply.cert.fingerprint256).toBe(new X509Certificate(Buffer.from(/tls\.crt: (\S+)/.exec(readFileSync(path.join(dir, 'k8s.yaml'), 'utf8'))?.[1] ?? '', 'base64')).fingerprint256);
    expect(JSON.parse(reply.body)).toMatchObject({ headers: { 'x-forwarded-proto': 'https' } });
  });

  it('gives hosts whose Secret is absent, expired, for another host or not of type tls a certificate of the local CA', async () => {
    for (const host of ['absent.example.com', 'expired.example.com', 'wrong.example.com', 'opaque.example.com', 'plain.example.com', 'secure.example.com.localhost']) {
      const reply = await get(host, localCa);
      expect(reply.status, host).toBe(200);
      expect(reply.cert.checkHost(host), host).toBe(host);
    }
  });

  it('check reports each Secret problem at its secretName, with the fallback (src/tls/secrets.ts)', async () => {
    const r = await cli(['check', dir, '-q']);
    expect(r.stdout).toMatch(/k8s\.yaml:\d+:\d+: warning W_TLS_CERT_EXPIRED: Ingress default\/expired: the certificate of Secret default\/expired-tls \(k8s\.yaml:\d+:\d+\) expired on .*; its hosts get a certificate of the local CA instead/);
    expect(r.stdout).toMatch(/warning W_TLS_CERT_HOST: Ingress default\/wrong: the certificate of Secret default\/wrong-tls \(k8s\.yaml:\d+:\d+\) does not cover wrong\.example\.com \(it names other\.example\.com\)/);
    expect(r.stdout).toMatch(/warning W_TLS_SECRET_TYPE: Ingress default\/opaque: Secret default\/opaque-tls \(k8s\.yaml:\d+:\d+\) is of type Opaque, not kubernetes\.io\/tls/);
    expect(r.stdout).not.toContain('not-in-the-folder');
  });

  it('explain https:// says which certificate the host gets and from where', async () => {
    const secure = await cli(['explain', 'https://secure.example.com/', dir]);
    expect(secure.stdout).toMatch(/\n {2}tls {7}certificate Secret default\/secure-tls \(k8s\.yaml:\d+:\d+\), served as it is\n/);
    const absent = await cli(['explain', 'https://absent.example.com/', dir, '--json']);
    expect(JSON.parse(absent.stdout).certificate).toEqual({ kind: 'local-ca', source: `the local CA (${path.join(testTlsEnv.INGRESS_DEV_HOME as string, 'ca', 'rootCA.pem')})`, text: `issued for absent.example.com by the local CA (${path.join(testTlsEnv.INGRESS_DEV_HOME as string, 'ca', 'rootCA.pem')})` });
    expect(JSON.parse((await cli(['explain', 'http://absent.example.com/', dir, '--json'])).stdout).certificate).toBeNull();
  });

  it('redirects plain HTTP for an nginx-class TLS host to the local HTTPS port, and serves the HTTPS request (ingress-nginx ssl-redirect, e2e ssl/http_redirect.go)', async () => {
    const plain = await new Promise<http.IncomingMessage>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: up.port, path: '/a?b=1', headers: { host: 'secure.example.com' }, agent: false }, (res) => {
        res.resume();
        resolve(res);
      }).on('error', reject);
    });
    expect(plain.statusCode).toBe(308);
    expect(plain.headers.location).toBe(`https://secure.example.com:${httpsPort}/a?b=1`);
    expect((await get('secure.example.com', otherCa.certPem, '/a?b=1')).status).toBe(200);
  });

  it('routes HTTP/2 the same way, and logs the scheme and protocol', async () => {
    const client = http2.connect(`https://secure.example.com:${httpsPort}`, { ca: otherCa.certPem, lookup: (_h, _o, cb) => cb(null, [{ address: '127.0.0.1', family: 4 }] as never, 4) });
    const status = await new Promise<number>((resolve, reject) => {
      const stream = client.request({ ':path': '/h2' });
      stream.on('response', (h) => resolve(Number(h[':status'])));
      stream.on('error', reject);
      stream.resume();
      stream.end();
    });
    client.close();
    expect(status).toBe(200);
    await up.waitFor(/GET https:\/\/secure\.example\.com:\d+\/h2 200 \d+ms ingress:default\/secure#r0\.p0 → echo \[h2\]/);
  });
});
