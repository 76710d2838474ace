import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, realpathSync, statSync } from 'node:fs';
import net from 'node:net';
import type Docker from 'dockerode';
import tarStream from 'tar-stream';
import type { Service } from '../../manifest/types.js';
import { runLabels } from './labels.js';

/**
 * Service addresses inside the project network (`up --run`), as a cluster gives them: a
 * container calls `http://api:80` or `api.shop.svc.cluster.local:80` (the Service port), and the
 * connection reaches a ready container of the Service on its targetPort, chosen as for ingress
 * traffic (round robin over ready containers; a mapped target too).
 *
 * How: each Service gets a relay container on the project network that holds the Service's DNS
 * names (as a ClusterIP would) and listens on its ports; it forwards every TCP connection to a
 * port ingress-dev listens on at the network's gateway (this machine), one per Service port,
 * where the endpoint is chosen with the proxy's own resolver. HTTP and any other TCP protocol
 * pass as bytes.
 *
 * The relay image is built here, offline, from what runs ingress-dev: FROM scratch with this
 * node binary, the libraries it links, and a 20-line forwarder. So it needs an engine whose
 * containers run this machine's binaries and whose network gateway is an address of this
 * machine: a native engine on Linux. Elsewhere (Docker Desktop, rootless engines) `supported`
 * says why not, and the Service names stay on the workload containers (their targetPorts).
 */

/** The forwarder the relay runs: `RELAY=80>172.18.0.1:41234,443>172.18.0.1:41235`. */
const relaySource = `'use strict';
const net = require('net');
const routes = String(process.env.RELAY || '').split(',').filter(Boolean).map((r) => {
  const [listen, target] = r.split('>');
  const i = target.lastIndexOf(':');
  return { port: Number(listen), host: target.slice(0, i), to: Number(target.slice(i + 1)) };
});
for (const r of routes) {
  net.createServer((client) => {
    const upstream = net.connect(r.to, r.host);
    const close = () => { client.destroy(); upstream.destroy(); };
    client.pipe(upstream).on('error', close);
    upstream.pipe(client).on('error', close);
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  }).listen(r.port, '0.0.0.0');
}
process.on('SIGTERM', () => process.exit(0));
`;

export type RelaySupport = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Whether relays can work here: this machine runs the engine's containers' binaries (Linux). */
export function relaySupport(containersReachable: boolean): RelaySupport {
  if (process.platform !== 'linux') return { ok: false, reason: `the engine's containers do not run this ${process.platform} machine's programs (Docker Desktop)` };
  if (!containersReachable) return { ok: false, reason: 'container addresses are not reachable from this machine (a rootless or remote engine)' };
  return { ok: true };
}

/** The node binary and the libraries it links (ldd), the files the relay image holds. */
function relayFiles(): { readonly node: string; readonly libs: readonly string[] } {
  const node = realpathSync(process.execPath);
  const ldd = spawnSync('ldd', [node], { encoding: 'utf8' });
  // A static node: ldd says "not a dynamic executable" (and fails).
  const libs = ldd.status === 0 ? [...ldd.stdout.matchAll(/(\/[^\s)]+)/g)].map((m) => m[1] as string).filter((p, i, all) => all.indexOf(p) === i) : [];
  return { node, libs };
}

/** `ingress-dev-relay:HASH`: built once per node binary and forwarder. */
export async function ensureRelayImage(api: Docker, labels: Readonly<Record<string, string>>): Promise<string> {
  const { node, libs } = relayFiles();
  const hash = createHash('sha256').update(relaySource);
  for (const file of [node, ...libs]) {
    const info = statSync(file);
    hash.update(`${file}\0${info.size}\0${info.mtimeMs}\0`);
  }
  const tag = `ingress-dev-relay:${hash.digest('hex').slice(0, 12)}`;
  const present = await api.getImage(tag).inspect().then(() => true, () => false);
  if (present) return tag;
  const pack = tarStream.pack();
  const add = (name: string, file: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const info = statSync(file);
      const entry = pack.entry({ name, size: info.size, mode: info.mode & 0o777 }, (error) => (error === null || error === undefined ? resolve() : reject(error)));
      createReadStream(file).pipe(entry);
    });
  const dockerfile = 'FROM scratch\nCOPY rootfs/ /\nENTRYPOINT ["/node", "/relay.js"]\n';
  pack.entry({ name: 'Dockerfile' }, dockerfile);
  pack.entry({ name: 'rootfs/relay.js' }, relaySource);
  // Entries one after another: tar-stream takes one stream at a time.
  const filling = (async () => {
    await add('rootfs/node', node);
    // Each library where the loader looks for it (the path ldd names), with the content of what it links to.
    for (const lib of libs) await add(`rootfs${lib}`, realpathSync(lib));
    pack.finalize();
  })();
  const stream = (await api.buildImage(pack as unknown as NodeJS.ReadableStream, { t: tag, labels: { ...labels, 'ingress-dev.relay-image': '1' }, rm: true, forcerm: true })) as NodeJS.ReadableStream;
  await filling;
  await new Promise<void>((resolve, reject) => {
    (api.modem as { followProgress: (s: NodeJS.ReadableStream, done: (e: Error | null) => void, each: (o: { error?: string }) => void) => void }).followProgress(
      stream,
      (error) => (error === null || error === undefined ? resolve() : reject(error)),
      (event) => {
        if (event.error !== undefined) reject(new Error(event.error));
      },
    );
  });
  return tag;
}

/** The key of a Service: `namespace/name`. */
export function serviceKey(s: Service): string {
  return `${s.metadata.namespace}/${s.metadata.name}`;
}

/** The Services that get a relay: those with TCP ports, not headless, not ExternalName. */
export function relayedServices(services: readonly Service[]): Service[] {
  return services.filter((s) => s.type !== 'ExternalName' && s.headless !== true && s.ports.some((p) => p.protocol === 'TCP'));
}

export interface HostForwarders {
  /** Listen (once) for each Service port at `gateway`; close those of Services gone. Returns `namespace/name:port` → the port listened on. */
  sync(gateway: string, services: readonly Service[]): Promise<Map<string, number>>;
  close(): Promise<void>;
}

/**
 * The ingress-dev side of the relays: one TCP listener per Service port on the network's
 * gateway address; each connection goes to the endpoint `route` picks (null: refused).
 */
export function createHostForwarders(route: (namespace: string, service: string, port: number, portName: string | null) => { readonly host: string; readonly port: number } | null): HostForwarders {
  const servers = new Map<string, { readonly server: net.Server; readonly gateway: string; readonly port: number }>();
  const sockets = new Set<net.Socket>();
  const listen = (gateway: string, namespace: string, service: string, servicePort: number, portName: string | null): Promise<net.Server> =>
    new Promise((resolve, reject) => {
      const server = net.createServer((client) => {
        sockets.add(client);
        client.on('close', () => sockets.delete(client));
        const target = route(namespace, service, servicePort, portName);
        if (target === null) {
          client.destroy();
          return;
        }
        const upstream = net.connect(target.port, target.host);
        sockets.add(upstream);
        const close = (): void => {
          client.destroy();
          upstream.destroy();
        };
        upstream.on('close', () => sockets.delete(upstream));
        client.pipe(upstream);
        upstream.pipe(client);
        client.on('error', close).on('close', close);
        upstream.on('error', close).on('close', close);
      });
      server.once('error', reject);
      server.listen(0, gateway, () => resolve(server));
    });
  return {
    async sync(gateway, services) {
      const wanted = new Map<string, { namespace: string; service: string; port: number; portName: string | null }>();
      for (const s of services) for (const p of s.ports) if (p.protocol === 'TCP') wanted.set(`${serviceKey(s)}:${p.port}`, { namespace: s.metadata.namespace, service: s.metadata.name, port: p.port, portName: p.name });
      for (const [key, entry] of servers) {
        if (!wanted.has(key) || entry.gateway !== gateway) {
          entry.server.close();
          servers.delete(key);
        }
      }
      for (const [key, w] of wanted) {
        if (servers.has(key)) continue;
        const server = await listen(gateway, w.namespace, w.service, w.port, w.portName);
        const address = server.address();
        servers.set(key, { server, gateway, port: typeof address === 'object' && address !== null ? address.port : 0 });
      }
      return new Map([...servers].map(([key, entry]) => [key, entry.port]));
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all([...servers.values()].map((entry) => new Promise<void>((resolve) => entry.server.close(() => resolve()))));
      servers.clear();
    },
  };
}

/** `RELAY=` of a Service's relay container: each Service port to its forwarder on the gateway. */
export function relayRoutes(service: Service, gateway: string, ports: ReadonlyMap<string, number>): string {
  return service.ports
    .filter((p) => p.protocol === 'TCP')
    .map((p) => `${p.port}>${gateway}:${ports.get(`${serviceKey(service)}:${p.port}`) ?? 0}`)
    .join(',');
}

/** The labels a relay container carries besides the run's. */
export function relayLabels(service: Service): Record<string, string> {
  return { [runLabels.relay]: serviceKey(service) };
}
