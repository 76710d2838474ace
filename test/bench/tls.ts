/**
 * HTTPS and HTTP/2 (issue 12): ingress-dev's HTTPS listener next to nginx with TLS, in one run
 * with interleaved rounds, reported as ratios. Keep-alive throughput over HTTP/1.1 and HTTP/2,
 * and the cost of a new connection (TCP + TLS handshake + one request), against the same backend.
 * Certificates: ECDSA P-256 leaves of one local CA for both.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadOrCreateCa } from '../../src/tls/ca.js';
import { createLeafCertificate } from '../../src/tls/x509.js';
import { formatNumber, printTable } from './measure.js';
import { nginxInstalled, startNginx, type RunningNginx } from './proxy-nginx.js';
import type { LoadJob, LoadResult } from './proxy-load.js';
import { ask, forkChild, forkWithPort, freePort, summarize, waitForPort, ratio, type Measured } from './proxy.js';

const host = 'bench.example.com';
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 10);
const roundMs = Number(process.env['BENCH_ROUND_MS'] ?? 200);

interface Case {
  readonly name: string;
  readonly target: 'ingress-dev' | 'nginx';
  readonly job: Omit<LoadJob, 'durationMs'>;
}

export async function benchTls(): Promise<void> {
  const children: ChildProcess[] = [];
  const home = mkdtempSync(path.join(tmpdir(), 'ingress-dev-bench-tls-'));
  let nginx: RunningNginx | null = null;
  try {
    const ca = await loadOrCreateCa({ INGRESS_DEV_HOME: home, CAROOT: path.join(home, 'none') });
    const now = Date.now();
    const leaf = await createLeafCertificate(ca, { dnsNames: [host], ipAddresses: [], notBefore: new Date(now - 3_600_000), notAfter: new Date(now + 86_400_000) });
    writeFileSync(path.join(home, 'leaf.pem'), leaf.certPem);
    writeFileSync(path.join(home, 'leaf-key.pem'), leaf.keyPem, { mode: 0o600 });
    const upstream = await forkWithPort('proxy-upstream.js', [], children);
    process.env['BENCH_HTTPS'] = '1';
    process.env['INGRESS_DEV_HOME'] = home;
    const proxy = await forkWithPort('proxy-server.js', [String(upstream.port)], children);
    const httpsPort = proxy.httpsPort;
    const loader = forkChild('proxy-load.js', [], children);
    const https = (port: number) => `https://127.0.0.1:${port}`;
    const cases: Case[] = [
      { name: 'http/1.1 plain', target: 'ingress-dev', job: { kind: 'load', origin: `http://127.0.0.1:${proxy.port}`, host, connections: 50 } },
      { name: 'https http/1.1', target: 'ingress-dev', job: { kind: 'load', origin: https(httpsPort), host, connections: 50, ca: ca.certPem } },
      { name: 'https h2', target: 'ingress-dev', job: { kind: 'load', origin: https(httpsPort), host, connections: 50, ca: ca.certPem, h2: true } },
      { name: 'new connection each', target: 'ingress-dev', job: { kind: 'load', origin: https(httpsPort), host, connections: 1, ca: ca.certPem, fresh: true } },
    ];
    if (nginxInstalled()) {
      const plainPort = await freePort();
      const tlsPort = await freePort();
      const plain = startNginx(plainPort, upstream.port);
      nginx = startNginx(tlsPort, upstream.port, { certFile: path.join(home, 'leaf.pem'), keyFile: path.join(home, 'leaf-key.pem') });
      await waitForPort(plainPort);
      await waitForPort(tlsPort);
      const stopPlain = plain;
      children.push({ kill: () => void stopPlain.stop() } as unknown as ChildProcess);
      cases.push(
        { name: 'http/1.1 plain', target: 'nginx', job: { kind: 'load', origin: `http://127.0.0.1:${plainPort}`, host, connections: 50 } },
        { name: 'https http/1.1', target: 'nginx', job: { kind: 'load', origin: https(tlsPort), host, connections: 50, ca: ca.certPem } },
        { name: 'https h2', target: 'nginx', job: { kind: 'load', origin: https(tlsPort), host, connections: 50, ca: ca.certPem, h2: true } },
        { name: 'new connection each', target: 'nginx', job: { kind: 'load', origin: https(tlsPort), host, connections: 1, ca: ca.certPem, fresh: true } },
      );
    }
    const results = new Map<Case, Measured>(cases.map((c) => [c, { requests: 0, errors: 0, seconds: 0, latencies: [], peakRss: 0 }]));
    for (const c of cases) await ask<LoadResult>(loader, { ...c.job, durationMs: 500 });
    for (let round = 0; round < rounds; round++) {
      for (const c of cases) {
        const result = await ask<LoadResult>(loader, { ...c.job, durationMs: roundMs });
        const total = results.get(c) as Measured;
        total.requests += result.requests;
        total.errors += result.errors;
        total.seconds += result.seconds;
        for (const latency of result.latencies) total.latencies.push(latency);
      }
    }
    const summary = new Map([...results].map(([c, m]) => [c, summarize(m)]));
    const find = (target: string, name: string) => [...summary].find(([c]) => c.target === target && c.name === name)?.[1];
    const rows = [...summary].map(([c, s]) => [
      c.target,
      c.name,
      String(c.job.connections),
      formatNumber(s.rps),
      s.p50.toFixed(3),
      String(s.errors),
      c.target === 'ingress-dev' ? ratio(s.rps, find('nginx', c.name)?.rps) : '',
      ratio(s.rps, find(c.target, 'http/1.1 plain')?.rps),
    ]);
    printTable(`HTTPS: GET with a 1 KB response, ${rounds} interleaved rounds of ${roundMs} ms per case (ECDSA P-256, TLS 1.3)`, ['target', 'case', 'conns', 'req/s', 'p50 ms', 'errors', 'vs nginx', 'vs its plain http'], rows);
    const ours = find('ingress-dev', 'new connection each');
    const theirs = find('nginx', 'new connection each');
    if (ours !== undefined) {
      process.stdout.write(`a new HTTPS connection (TCP + TLS handshake + 1 request): ingress-dev p50 ${ours.p50.toFixed(3)} ms${theirs === undefined ? '' : `, nginx p50 ${theirs.p50.toFixed(3)} ms (${ratio(ours.p50, theirs.p50)} nginx's)`}\n`);
    }
    if (nginx === null) process.stdout.write('nginx not installed; apt-get install nginx-light to compare\n');
  } finally {
    await nginx?.stop();
    for (const child of children) child.kill();
    rmSync(home, { recursive: true, force: true });
  }
}
