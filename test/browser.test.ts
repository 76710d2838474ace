/**
 * A real browser over HTTPS (issue 12): headless Chromium (Debian's package; .ci/run installs it)
 * trusts the local CA through an NSS database that `ingress-dev trust` filled, loads
 * https://HOST.localhost:PORT/ from `up` serving an example folder, and gets the page with no
 * certificate error. A screenshot is kept in test-artifacts/. The same page without the CA in
 * the browser's database shows nothing: the check can fail. A page over HTTP/2 opens a WebSocket,
 * which Chromium sends as an extended CONNECT (RFC 8441) on the same connection.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, repoRoot } from './cli-harness.js';
import { testTlsEnv } from './tls-env.js';
import { startUp, type RunningUp } from './up-harness.js';
import { acceptKey, decodeFrames, encodeFrame } from './proxy/ws.js';

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

/** A HOME whose NSS database (~/.pki/nssdb, where Chromium looks) `ingress-dev trust` filled. */
let trusting: Promise<string> | null = null;
function trustingHome(): Promise<string> {
  trusting ??= (async () => {
    const home = path.join(temp, 'trusting');
    const db = path.join(home, '.pki', 'nssdb');
    mkdirSync(db, { recursive: true });
    execFileSync(certutil as string, ['-N', '-d', `sql:${db}`, '--empty-password']);
    const trusted = await cli(['trust', '--nss-db', db, '--no-system'], { env: { ...testTlsEnv, PATH: process.env.PATH ?? '' } });
    expect(trusted.code, trusted.stdout + trusted.stderr).toBe(0);
    return home;
  })();
  return trusting;
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
    const home = await trustingHome();
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

  it.skipIf(missing !== null)('opens a WebSocket from a page served over HTTP/2: Chromium sends it as an extended CONNECT (RFC 8441), relayed to the HTTP/1.1 backend', async () => {
    const home = await trustingHome();
    // The backend: a page that opens wss://<its host>/ws and shows the answer, and the WebSocket
    // itself. The page's load event (when --dump-dom reads the DOM) waits for an iframe that the
    // backend answers only once the page said, over the WebSocket, that it wrote the answer.
    const page = `<!doctype html><div id="out">waiting</div><iframe src="/hold"></iframe><script>
      const ws = new WebSocket('wss://' + location.host + '/ws');
      ws.onopen = () => ws.send('hello from the page');
      ws.onmessage = (m) => { document.getElementById('out').textContent = 'got ' + m.data; ws.send('done'); };
      ws.onerror = () => { document.getElementById('out').textContent = 'failed'; fetch('/failed'); };
    </script>`;
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const backend = http.createServer((req, res) => {
      if (req.url === '/failed') release();
      if (req.url !== '/hold') return void res.writeHead(200, { 'content-type': 'text/html' }).end(page);
      const timer = setTimeout(release, 30_000);
      void released.then(() => {
        clearTimeout(timer);
        res.end('released');
      });
    });
    const upgrades: string[] = [];
    backend.on('upgrade', (req: http.IncomingMessage, socket: import('node:stream').Duplex) => {
      upgrades.push(`${req.method ?? ''} ${req.url ?? ''} ${req.headers.upgrade ?? ''} ${req.headers['x-forwarded-proto'] ?? ''}`);
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(req.headers['sec-websocket-key'] ?? '')}\r\n\r\n`);
      let pending: Buffer = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        const { messages, rest } = decodeFrames(Buffer.concat([pending, chunk]));
        pending = rest;
        for (const message of messages) {
          if (message.text === 'done') release();
          else if (message.opcode === 1) socket.write(encodeFrame(`echo: ${message.text}`, { masked: false }));
        }
      });
      socket.on('error', () => {});
      // The proxy's side ended (the page went away, or up stopped): end ours too.
      socket.on('end', () => socket.end());
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
    const backendPort = (backend.address() as { port: number }).port;
    const folder = mkdtempSync(path.join(temp, 'chat-'));
    writeFileSync(path.join(folder, 'ingress.yaml'), [
      'apiVersion: networking.k8s.io/v1',
      'kind: Ingress',
      'metadata: { name: chat }',
      'spec:',
      '  rules:',
      '    - host: chat.example.com',
      '      http:',
      '        paths:',
      '          - { path: /, pathType: Prefix, backend: { service: { name: chat, port: { number: 80 } } } }',
      '---',
      'apiVersion: v1',
      'kind: Service',
      'metadata: { name: chat }',
      'spec: { ports: [{ port: 80 }] }',
      '',
    ].join('\n'));
    const chat = await startUp([folder, '--port', '0', '--map', `chat=http://127.0.0.1:${backendPort}`, '--no-docker', '--no-watch']);
    try {
      const port = Number(/and https:\/\/127\.0\.0\.1:(\d+)/.exec(chat.stdout())?.[1]);
      const dom = await browse(home, ['--dump-dom', `https://chat.example.com.localhost:${port}/`]);
      expect(dom).toContain('<div id="out">got echo: hello from the page</div>');
      expect(upgrades).toEqual(['GET /ws websocket https']);
      await chat.waitFor(/CONNECT https:\/\/chat\.example\.com\.localhost:\d+\/ws 200 .* \[h2\]/, 10_000);
    } finally {
      await chat.stop();
      backend.closeAllConnections();
      await new Promise<void>((resolve) => backend.close(() => resolve()));
    }
  }, 120_000);
});
