/**
 * `up --record FILE` (issue 15): every request the proxy routed becomes a route test with the
 * routing's outcome as its expectation, deduplicated, added to what the file holds; the file
 * runs with `ingress-dev test` and feeds `diff --tests`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli } from './cli-harness.js';
import { startUp } from './up-harness.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-record-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function get(port: number, host: string, target: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: target, headers: { host, ...headers }, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

describe('up --record FILE', () => {
  const file = path.join(root, 'recorded.test.yaml');

  it('writes each new request with what the routing did, once, with the headers routing looks at', async () => {
    const up = await startUp(['examples/gateway-basic', '--port', '0', '--no-https', '--echo-unmapped', '--record', file]);
    try {
      expect(up.stdout()).toContain(`Recording each new request as a route test in ${path.relative(process.cwd(), file) || file} (0 there already).`);
      await get(up.port, 'shop.example.com', '/api/orders?page=2');
      await get(up.port, 'shop.example.com', '/api/orders?page=2'); // the same again: one test
      await get(up.port, 'shop.example.com.localhost:8080', '/api/orders?page=2'); // the alias is the host
      await get(up.port, 'shop.example.com', '/', { 'x-canary': 'always', 'user-agent': 'not recorded' });
      await get(up.port, 'shop.example.com', '/checkout.php');
      await get(up.port, 'nowhere.example.org', '/');
    } finally {
      expect(await up.stop()).toBe(130);
    }
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(`- name: GET http://shop.example.com/api/orders?page=2
    request: http://shop.example.com/api/orders?page=2
    expect:
      status: 200
      backend: api:80
      upstreamPath: /api/orders?page=2`);
    expect(text).toContain(`    request:
      url: http://shop.example.com/
      headers:
        x-canary: always
    expect:
      status: 200
      backend: web-canary:80`);
    expect(text).toContain('location: http://shop.example.com/checkout');
    expect(text).toContain(`request: http://nowhere.example.org/
    expect:
      status: 404
      backend: none`);
    expect(text).not.toContain('user-agent');
    expect(text.match(/- name:/g)).toHaveLength(4);
    // The recording is a route test file that passes against the same routes.
    const test = await cli(['test', 'examples/gateway-basic', '--tests', file]);
    expect(test.code, test.stdout).toBe(0);
    expect(test.stdout).toContain('4 passed, 0 failed');
  }, 30_000);

  it('a second run adds to the file, without the tests it already holds', async () => {
    const up = await startUp(['examples/gateway-basic', '--port', '0', '--no-https', '--echo-unmapped', '--record', file]);
    try {
      expect(up.stdout()).toContain('(4 there already)');
      await get(up.port, 'shop.example.com', '/api/orders?page=2');
      await get(up.port, 'shop.example.com', '/docs/install');
    } finally {
      await up.stop();
    }
    expect(readFileSync(file, 'utf8').match(/- name:/g)).toHaveLength(5);
    // And it feeds diff: the same folder under the spec profile changes none of these.
    const diff = await cli(['diff', 'examples/gateway-basic', 'examples/gateway-basic', '--tests', file]);
    expect(diff.stdout).toContain('and 5 from --tests');
  }, 30_000);

  it('a file that is not a route test file is refused, and left as it was', async () => {
    const other = path.join(root, 'notes.yaml');
    writeFileSync(other, 'shopping: [milk]\n');
    const r = await cli(['up', 'examples/gateway-basic', '--port', '0', '--record', other]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--record ${other}: ${other} is not a route test file`);
    expect(readFileSync(other, 'utf8')).toBe('shopping: [milk]\n');
  }, 30_000);
});
