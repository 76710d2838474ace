import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

/** What one readiness check saw: `HTTP 200`, `HTTP 404`, `connect ECONNREFUSED 172.18.0.3:8080`. */
export interface ProbeResult {
  readonly ok: boolean;
  readonly detail: string;
}

/**
 * A TCP connect. `holdMs` > 0 for a published port: the engine's port proxy accepts the
 * connection even when nothing listens in the container and then closes it at once, so the
 * connection must also stay open that long to count.
 */
export function probeTcp(host: string, port: number, timeoutMs: number, holdMs = 0): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: unbracket(host), port });
    let done = false;
    const finish = (result: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ ok: false, detail: `no answer from ${host}:${port} within ${timeoutMs} ms` }), timeoutMs + holdMs);
    socket.on('error', (error) => finish({ ok: false, detail: errorText(error) }));
    socket.on('connect', () => {
      if (holdMs <= 0) finish({ ok: true, detail: `port ${port} accepts connections` });
      else setTimeout(() => finish({ ok: true, detail: `port ${port} accepts connections` }), holdMs).unref();
    });
    socket.on('close', () => finish({ ok: false, detail: `port ${port} closed the connection at once (is the server listening in the container?)` }));
    socket.on('data', () => undefined);
  });
}

export interface HttpProbeRequest {
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly port: number;
  readonly path: string;
  /** The Host header; the address by default, as the kubelet sends the pod IP. */
  readonly hostHeader: string | null;
  readonly headers: readonly (readonly [string, string])[];
}

/** An HTTP GET; 200–399 is a success, as for the kubelet. Certificates are not verified (nor are they there). */
export function probeHttp(request: HttpProbeRequest, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'user-agent': 'kube-probe/ingress-dev', accept: '*/*', connection: 'close' };
    for (const [k, v] of request.headers) headers[k.toLowerCase()] = v;
    if (request.hostHeader !== null) headers['host'] = request.hostHeader;
    const options: https.RequestOptions = { host: unbracket(request.host), port: request.port, path: request.path, method: 'GET', headers, agent: false, timeout: timeoutMs };
    let done = false;
    const finish = (result: ProbeResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      req.destroy();
      resolve(result);
    };
    const req = request.scheme === 'https' ? https.request({ ...options, rejectUnauthorized: false }) : http.request(options);
    const timer = setTimeout(() => finish({ ok: false, detail: `no answer to GET ${request.path} within ${timeoutMs} ms` }), timeoutMs);
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      finish({ ok: status >= 200 && status < 400, detail: `GET ${request.path} answered HTTP ${status}` });
    });
    req.on('timeout', () => finish({ ok: false, detail: `no answer to GET ${request.path} within ${timeoutMs} ms` }));
    req.on('error', (error) => finish({ ok: false, detail: `GET ${request.path}: ${errorText(error)}` }));
    req.end();
  });
}

function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

function errorText(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code !== undefined && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
}
