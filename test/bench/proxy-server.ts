/**
 * ingress-dev's proxy in a process of its own, as `ingress-dev up` runs it, routing one host to
 * the benchmark backend (port in argv[2]). Sends `{port}` once listening; answers 'memory' with its RSS, CPU time and request count.
 */
import { createEventBus } from '../../src/events/bus.js';
import { parseManifests } from '../../src/manifest/parse.js';
import { compileRoutes } from '../../src/model/compile.js';
import { startProxy } from '../../src/proxy/server.js';
import { loadOrCreateCa } from '../../src/tls/ca.js';
import { createCertificateStore } from '../../src/tls/certificates.js';
import { getHeapSpaceStatistics } from 'node:v8';

const upstreamPort = Number(process.argv[2]);
const yaml = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: bench}
spec:
  rules:
    - host: bench.example.com
      http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: app, port: {number: 80}}}}]}
---
{apiVersion: v1, kind: Service, metadata: {name: app}, spec: {ports: [{port: 80}]}}
`;
const table = compileRoutes(parseManifests([{ file: 'bench.yaml', text: yaml }]).resources, { profile: 'spec' }).value;
const origin = `http://127.0.0.1:${upstreamPort}`;
const events = createEventBus();
// A subscriber, as the headless log or the UI would be.
let completed = 0;
events.on('request-completed', () => completed++);

// BENCH_HTTPS=1: the HTTPS listener too, with the local CA of $INGRESS_DEV_HOME (the TLS benchmark).
const https = process.env['BENCH_HTTPS'] === '1' ? { port: 0, certificates: createCertificateStore({ ca: await loadOrCreateCa(), served: () => new Map() }) } : undefined;
const proxy = await startProxy({
  host: '127.0.0.1',
  port: 0,
  ...(https === undefined ? {} : { https }),
  getTable: () => table,
  resolver: { resolve: () => ({ kind: 'target', target: { kind: 'http', protocol: 'http:', host: '127.0.0.1', port: upstreamPort, origin }, via: 'bench' }) },
  events,
});
process.send?.({ port: proxy.port, httpsPort: proxy.httpsPort });
process.on('message', (message) => {
  if (message === 'memory') process.send?.({ rss: process.memoryUsage().rss, cpu: process.cpuUsage(), completed });
});
process.on('disconnect', () => {
  if (process.env['BENCH_MEMORY_DETAIL'] === '1') {
    const mb = (n: number): string => (n / 1048576).toFixed(1);
    const usage = process.memoryUsage();
    const spaces = getHeapSpaceStatistics().map((s) => `${s.space_name}=${mb(s.space_size)}`).join(' ');
    process.stderr.write(`proxy memory at exit: rss=${mb(usage.rss)} heapTotal=${mb(usage.heapTotal)} heapUsed=${mb(usage.heapUsed)} external=${mb(usage.external)} arrayBuffers=${mb(usage.arrayBuffers)} ${spaces}\n`);
  }
  void proxy.close(0).then(() => process.exit(0));
});
