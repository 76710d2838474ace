import { isIP } from 'node:net';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { createDiagnostic, type Diagnostic, type SourcePosition } from '../diagnostics/diagnostic.js';

/**
 * A route test file (`ingress-dev.test.yaml`): requests and what the route table must do with
 * them. Checked offline by `ingress-dev test`, so routing can be tested in CI.
 *
 *     tests:
 *       - name: POST reaches httpbin
 *         request: http://httpbin.example.com/post?x=1     # a URL or a path, or:
 *         # request: {url: /post, method: POST, headers: {Host: httpbin.example.com}, clientIp: 10.0.0.7}
 *         expect:
 *           status: 200                     # 200 routed, 404 no route, 503 backend missing
 *           backend: httpbin:80             # [NAMESPACE/]SERVICE[:PORT], or none
 *           upstreamPath: /post?x=1
 *           route: ingress:default/httpbin#r0.p0
 */
export interface RouteTestExpectation {
  readonly status?: number;
  /** `none` when no backend is expected. */
  readonly backend?: { readonly namespace: string | null; readonly service: string; readonly port: string | null } | 'none';
  readonly upstreamPath?: string | null;
  readonly route?: string | null;
  /** The `Location` of a redirect (ingress-nginx's); null when the answer is no redirect. */
  readonly location?: string | null;
  /** Headers the backend receives that routing sets (ingress-nginx: `Host` of upstream-vhost, `X-Forwarded-Prefix`). */
  readonly upstreamHeaders?: Readonly<Record<string, string>>;
  /** Headers the client receives that routing sets (ingress-nginx: CORS, `WWW-Authenticate`); null: must be absent. */
  readonly responseHeaders?: Readonly<Record<string, string | null>>;
}

export interface RouteTest {
  readonly name: string;
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The client's address (ingress-nginx's source ranges); null: 127.0.0.1, as a local client. */
  readonly clientIp: string | null;
  readonly expect: RouteTestExpectation;
  readonly at: SourcePosition;
}

const testKeys = new Set(['name', 'request', 'expect']);
const requestKeys = new Set(['url', 'method', 'headers', 'clientIp']);
const expectKeys = new Set(['status', 'backend', 'upstreamPath', 'route', 'location', 'upstreamHeaders', 'responseHeaders']);

export function parseRouteTests(text: string, file: string): { tests: RouteTest[]; diagnostics: Diagnostic[] } {
  const lineCounter = new LineCounter();
  const diagnostics: Diagnostic[] = [];
  const tests: RouteTest[] = [];
  const at = (node: YamlNode | null | undefined): SourcePosition => {
    const offset = node?.range?.[0] ?? 0;
    const pos = lineCounter.linePos(offset);
    return { file, line: pos.line, col: pos.col };
  };
  const fail = (message: string, node: YamlNode | null | undefined, hint: string) =>
    diagnostics.push(createDiagnostic('E_TEST_FILE', 'error', message, at(node), hint));

  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  for (const e of doc.errors) {
    const pos = lineCounter.linePos(e.pos[0]);
    diagnostics.push(createDiagnostic('E_YAML_SYNTAX', 'error', e.message.split('\n')[0] ?? 'YAML syntax error',
      { file, line: pos.line, col: pos.col }, 'Fix the YAML syntax; the test file was not run.'));
  }
  if (doc.errors.length > 0) return { tests, diagnostics };

  let list: YamlNode | null = doc.contents as YamlNode | null;
  if (isMap(list)) list = (list.get('tests', true) as YamlNode | undefined) ?? null;
  if (!isSeq(list)) {
    fail('A route test file is a list of tests (or a mapping with "tests:")', doc.contents as YamlNode | null,
      'Write:\ntests:\n  - request: http://app.example.com/api\n    expect: {status: 200, backend: api:80}');
    return { tests, diagnostics };
  }
  for (const item of list.items as YamlNode[]) {
    if (!isMap(item)) {
      fail('A test is a mapping with request and expect', item, 'Write "- request: /path" followed by "expect: {...}".');
      continue;
    }
    for (const pair of item.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!testKeys.has(key)) fail(`Unknown key "${key}" in a test`, pair.key as YamlNode, 'A test has name, request and expect.');
    }
    const request = item.get('request', true) as YamlNode | undefined;
    const expectNode = item.get('expect', true) as YamlNode | undefined;
    const nameNode = item.get('name', true) as YamlNode | undefined;
    let url: string | null = null;
    let method = 'GET';
    let clientIp: string | null = null;
    const headers: Record<string, string> = {};
    if (isScalar(request) && typeof request.value === 'string') {
      url = request.value;
    } else if (isMap(request)) {
      for (const pair of request.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : '';
        if (!requestKeys.has(key)) fail(`Unknown key "${key}" in request`, pair.key as YamlNode, 'A request has url, method, headers and clientIp.');
      }
      const u = request.get('url', true) as YamlNode | undefined;
      if (isScalar(u) && typeof u.value === 'string') url = u.value;
      const m = request.get('method', true) as YamlNode | undefined;
      if (isScalar(m) && typeof m.value === 'string') method = m.value.toUpperCase();
      const ip = request.get('clientIp', true) as YamlNode | undefined;
      if (isScalar(ip) && typeof ip.value === 'string' && isIP(ip.value) !== 0) clientIp = ip.value;
      else if (ip !== undefined) fail('request.clientIp must be an IPv4 or IPv6 address', ip, 'Write clientIp: 10.0.0.7 (the address the client connects from).');
      const h = request.get('headers', true) as YamlNode | undefined;
      if (isMap(h)) {
        for (const pair of h.items) {
          if (isScalar(pair.key) && isScalar(pair.value)) headers[String(pair.key.value)] = String(pair.value.value);
        }
      } else if (h !== undefined) {
        fail('request.headers must be a mapping of header names to values', h, 'Write headers: {Host: app.example.com}.');
      }
    }
    if (url === null) {
      fail('A test needs a request: a URL, a path, or {url, method, headers}', request ?? item, 'Write "request: http://app.example.com/path" or "request: /path".');
      continue;
    }
    if (!isMap(expectNode)) {
      fail('A test needs expect: a mapping with status, backend, upstreamPath or route', expectNode ?? item,
        'Write expect: {status: 200, backend: web:80}.');
      continue;
    }
    const expect: { -readonly [K in keyof RouteTestExpectation]: RouteTestExpectation[K] } = {};
    for (const pair of expectNode.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      const value = isScalar(pair.value) ? pair.value.value : undefined;
      const node = (pair.value ?? pair.key) as YamlNode;
      if (!expectKeys.has(key)) {
        fail(`Unknown expectation "${key}"`, pair.key as YamlNode, 'Expectations: status, backend, upstreamPath, route, location, upstreamHeaders, responseHeaders.');
      } else if (key === 'status') {
        if (typeof value === 'number' && Number.isInteger(value)) expect.status = value;
        else fail('expect.status must be a number such as 200, 404 or 503', node, 'Write status: 200.');
      } else if (key === 'backend') {
        if (value === null || value === 'none') expect.backend = 'none';
        else if (typeof value === 'string') {
          const parsed = parseBackendExpectation(value);
          if (parsed === null) fail(`expect.backend "${value}" is not [NAMESPACE/]SERVICE[:PORT]`, node, 'Write backend: web:80 or backend: shop/web:http.');
          else expect.backend = parsed;
        } else fail('expect.backend must be a string like web:80', node, 'Write backend: web:80.');
      } else if (key === 'upstreamHeaders') {
        if (isMap(node)) {
          const sent: Record<string, string> = {};
          for (const h of node.items) {
            const name = isScalar(h.key) ? String(h.key.value) : '';
            const v = isScalar(h.value) ? h.value.value : undefined;
            if (name === '' || (typeof v !== 'string' && typeof v !== 'number')) fail('expect.upstreamHeaders maps header names to values', h.key as YamlNode, 'Write upstreamHeaders: {X-Forwarded-Prefix: /api}.');
            else sent[name.toLowerCase()] = String(v);
          }
          expect.upstreamHeaders = sent;
        } else fail('expect.upstreamHeaders must be a mapping of header names to values', node, 'Write upstreamHeaders: {Host: api.internal}.');
      } else if (key === 'responseHeaders') {
        if (isMap(node)) {
          const sent: Record<string, string | null> = {};
          for (const h of node.items) {
            const name = isScalar(h.key) ? String(h.key.value) : '';
            const v = isScalar(h.value) ? h.value.value : undefined;
            if (name === '' || (typeof v !== 'string' && typeof v !== 'number' && v !== null)) fail('expect.responseHeaders maps header names to values (null: absent)', h.key as YamlNode, 'Write responseHeaders: {Access-Control-Allow-Origin: "*"}.');
            else sent[name.toLowerCase()] = v === null ? null : String(v);
          }
          expect.responseHeaders = sent;
        } else fail('expect.responseHeaders must be a mapping of header names to values', node, 'Write responseHeaders: {Access-Control-Allow-Origin: "*"}.');
      } else if (key === 'upstreamPath' || key === 'route' || key === 'location') {
        if (value === null || typeof value === 'string') expect[key] = value;
        else fail(`expect.${key} must be a string`, node, `Quote the value: ${key}: "..."`);
      }
    }
    if (Object.keys(expect).length === 0) {
      fail('A test expects nothing', expectNode, 'Add at least one of status, backend, upstreamPath, route, location, upstreamHeaders, responseHeaders.');
      continue;
    }
    const name = isScalar(nameNode) && nameNode.value !== null ? String(nameNode.value) : `${method} ${url}`;
    tests.push({ name, url, method, headers, clientIp, expect, at: at(item) });
  }
  return { tests, diagnostics };
}

function parseBackendExpectation(text: string): { namespace: string | null; service: string; port: string | null } | null {
  const m = /^(?:([a-z0-9-]+)\/)?([a-z0-9]([-a-z0-9.]*[a-z0-9])?)(?::([A-Za-z0-9-]+))?$/.exec(text.trim());
  if (m === null || m[2] === undefined) return null;
  return { namespace: m[1] ?? null, service: m[2], port: m[4] ?? null };
}
