import http from 'node:http';
import https from 'node:https';
import type { RouteTest } from '../manifest/route-tests.js';

/**
 * `ingress-dev test --against URL`: the route tests sent to a real ingress (a cluster's load
 * balancer, a `kubectl port-forward` to the controller), each with its own Host header (and SNI
 * for https://), and what a client can see checked: the status, a redirect's Location, response
 * headers, and the backend when the backends name themselves in a response header. What only
 * the emulation can see (the path and headers the backend received, the rule) is reported as
 * not checkable, never as passed.
 */
export interface LiveTarget {
  /** Where http:// tests go: `http://203.0.113.7` or `http://127.0.0.1:8080`. */
  readonly http: URL;
  /** Where https:// tests go (default: the same address on 443). */
  readonly https: URL;
  /** The response header that names the Service (or pod) that answered. */
  readonly backendHeader: string | null;
  /** Do not verify the endpoint's certificate. */
  readonly insecure: boolean;
  readonly timeoutMs: number;
}

export interface LiveResult {
  readonly test: RouteTest;
  readonly passed: boolean;
  readonly failures: readonly string[];
  /** Expectations the endpoint cannot show: `upstreamPath`, `route`, … */
  readonly unchecked: readonly string[];
  /** `301 → https://…`, `200`, or why nothing came back. */
  readonly got: string;
}

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
}

function send(test: RouteTest, target: LiveTarget): Promise<Reply> {
  const url = new URL(test.url.startsWith('/') ? `http://localhost${test.url}` : test.url);
  const secure = url.protocol === 'https:';
  const to = secure ? target.https : target.http;
  const host = test.url.startsWith('/') ? null : url.host;
  const headers: Record<string, string> = { ...test.headers };
  if (host !== null && Object.keys(headers).every((h) => h.toLowerCase() !== 'host')) headers.host = host;
  const options: https.RequestOptions = {
    method: test.method,
    host: to.hostname.replace(/^\[|\]$/g, ''),
    port: to.port === '' ? (secure ? 443 : 80) : Number(to.port),
    path: `${url.pathname}${url.search}`,
    headers,
    agent: false,
    ...(secure ? { servername: url.hostname, rejectUnauthorized: !target.insecure } : {}),
  };
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(options, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.setTimeout(target.timeoutMs, () => req.destroy(new Error(`no answer within ${target.timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end();
  });
}

export async function runLiveTests(tests: readonly RouteTest[], target: LiveTarget): Promise<LiveResult[]> {
  const results: LiveResult[] = [];
  for (const test of tests) {
    const unchecked: string[] = [];
    const x = test.expect;
    if (test.clientIp !== null) {
      results.push({ test, passed: true, failures: [], unchecked: ['clientIp (the endpoint sees this machine\'s address)'], got: 'not sent' });
      continue;
    }
    let reply: Reply;
    try {
      reply = await send(test, target);
    } catch (error) {
      results.push({ test, passed: false, failures: [`request: ${(error as Error).message}`], unchecked, got: 'no answer' });
      continue;
    }
    const failures: string[] = [];
    const header = (name: string): string | null => {
      const v = reply.headers[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    };
    if (x.status !== undefined && x.status !== reply.status) failures.push(`status: expected ${x.status}, got ${reply.status}`);
    if (x.location !== undefined) {
      const got = reply.status >= 300 && reply.status < 400 ? header('location') : null;
      if (got !== x.location) failures.push(`location: expected ${x.location ?? 'no redirect'}, got ${got ?? 'no redirect'}`);
    }
    for (const [name, want] of Object.entries(x.responseHeaders ?? {})) {
      const got = header(name);
      if (got !== want) failures.push(`responseHeaders.${name}: expected ${want ?? 'none'}, got ${got ?? 'none'}`);
    }
    if (x.backend !== undefined) {
      if (target.backendHeader === null) unchecked.push('backend (name the response header your backends set with --backend-header)');
      else {
        const got = header(target.backendHeader);
        const want = x.backend === 'none' ? null : x.backend.service;
        // The Service's name, or the name of one of its pods (`api-7d9f8c-x2k4q`).
        const same = want === null ? got === null : got !== null && (got === want || got.startsWith(`${want}-`));
        if (!same) failures.push(`backend: expected ${want ?? 'none'} in ${target.backendHeader}, got ${got ?? 'no such header'}`);
      }
    }
    if (x.upstreamPath !== undefined) unchecked.push('upstreamPath');
    if (x.upstreamHeaders !== undefined) unchecked.push('upstreamHeaders');
    if (x.route !== undefined) unchecked.push('route');
    const location = header('location');
    results.push({ test, passed: failures.length === 0, failures, unchecked, got: `${reply.status}${location !== null && reply.status >= 300 && reply.status < 400 ? ` → ${location}` : ''}` });
  }
  return results;
}
