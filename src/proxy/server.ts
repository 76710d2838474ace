import { createServer, type IncomingMessage, type Server } from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type { BackendResolver } from '../backends/types.js';
import type { HandlerContext, ProxyOptions } from './context.js';
import { createForwarder, defaultTimeouts, type ForwardTimeouts } from './forward.js';
import { createFront, type Front } from './front.js';
import { handleRequest } from './handle-request.js';
import { handleConnect, handleUpgrade } from './handle-upgrade.js';

export type { ProxyOptions } from './context.js';

export interface RunningProxy {
  /** `http://127.0.0.1:8080` */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /**
   * Stops accepting, lets in-flight requests finish (for at most `graceMs`, default 10 s, then
   * their connections are destroyed), ends relayed WebSockets at once, closes upstream pools.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Starts the ingress proxy. A listen error (EADDRINUSE, EACCES) rejects with node's error,
 * which carries `code`, `address` and `port` for a one-line message.
 */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const timeouts: ForwardTimeouts = { ...defaultTimeouts, ...options.timeouts };
  const forwarder = createForwarder(timeouts);
  const resolverOf = typeof options.resolver === 'function' ? options.resolver : () => options.resolver as BackendResolver;
  const tunnels = new Set<Duplex>();
  const state = { closing: false };
  const context: HandlerContext = { options, timeouts, forwarder, resolverOf, tunnels, state };

  // No overall request deadline: a 1 GB upload may take minutes; the send timeout guards progress.
  // node's server never listens: the front hands it the connections it does not serve itself.
  const httpServer = createServer({ requestTimeout: 0 }, (req, res) => handleRequest(context, req, res));
  httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => handleUpgrade(context, req, socket, head));
  httpServer.on('connect', (req: IncomingMessage, socket: Duplex) => handleConnect(context, req, socket));
  context.server = httpServer;
  const front = createFront(context, httpServer);
  const server = front.server;

  try {
    await listen(server, options.host, options.port);
  } catch (err) {
    await forwarder.close();
    throw err;
  }
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  const urlHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  let closed: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${port}`,
    host: options.host,
    port,
    close(graceMs = 10_000) {
      closed ??= closeProxy(server, httpServer, front, context, graceMs);
      return closed;
    },
  };
}

function listen(server: net.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

async function closeProxy(server: net.Server, httpServer: Server, front: Front, context: HandlerContext, graceMs: number): Promise<void> {
  context.state.closing = true;
  const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
  front.beginClose();
  httpServer.closeIdleConnections();
  for (const tunnel of context.tunnels) tunnel.destroy();
  const deadline = setTimeout(() => {
    front.destroyAll();
    httpServer.closeAllConnections();
    for (const tunnel of context.tunnels) tunnel.destroy();
  }, graceMs);
  await stopped;
  clearTimeout(deadline);
  // Stops node's connection-checking timer; it never listened, so the error is expected.
  httpServer.close(noop);
  await context.forwarder.close();
}

function noop(): void {}
