import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeHtml, negotiateFormat } from '../../src/proxy/error-pages.js';
import { compileTable, ingressYaml, json, send, startTestProxy, testResolver, type TestProxy } from './harness.js';

// The same error as JSON for API clients, HTML for browsers and plain text for curl.
const table = compileTable(ingressYaml('app', [{ host: 'app.example.com', paths: [{ path: '/api', service: 'api' }] }]), 'app.yaml');
const browserAccept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

describe('error pages', () => {
  let proxy: TestProxy;
  beforeAll(async () => {
    proxy = await startTestProxy({ table, resolver: testResolver({}) });
  });
  afterAll(() => proxy.close());

  it('answers JSON when the client accepts JSON', async () => {
    const reply = await send(proxy.port, { path: '/api', headers: { host: 'app.example.com', accept: 'application/json' } });
    expect(reply.status).toBe(503);
    expect(reply.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(json(reply)).toEqual({
      error: {
        status: 503,
        kind: 'no-endpoint',
        title: 'No endpoint for api:80',
        request: { method: 'GET', host: 'app.example.com', path: '/api', port: proxy.port },
        route: { id: 'ingress:default/app#r0.p0', file: 'app.yaml', line: 10 },
        target: null,
        via: null,
        error: 'Service default/api port 80 is not mapped to anything',
        hint: '--map api:80=PORT',
      },
    });
  });

  it('answers a small HTML page to browsers', async () => {
    const reply = await send(proxy.port, { path: '/other', headers: { host: 'app.example.com', accept: browserAccept } });
    expect(reply.status).toBe(404);
    expect(reply.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(reply.body).toMatch(/^<!doctype html>/);
    expect(reply.body).toContain('<h1>404 Not Found: No Ingress rule matches app.example.com/other</h1>');
    expect(reply.body).not.toMatch(/<(script|link|img)\b|src=|href=/);
  });

  it('escapes everything it shows in HTML', async () => {
    const reply = await send(proxy.port, { path: '/x?<script>alert(1)</script>', headers: { host: '<b>evil</b>', accept: 'text/html' } });
    expect(reply.status).toBe(404);
    expect(reply.body).not.toContain('<script>');
    expect(reply.body).not.toContain('<b>');
    expect(reply.body).toContain('&#60;b&#62;evil&#60;/b&#62;');
  });

  it('answers plain text to curl', async () => {
    const reply = await send(proxy.port, { path: '/other', headers: { host: 'app.example.com', accept: '*/*' } });
    expect(reply.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(reply.body.split('\n')[0]).toBe('404 Not Found: No Ingress rule matches app.example.com/other');
  });

  it('sends no body for HEAD', async () => {
    const reply = await send(proxy.port, { method: 'HEAD', path: '/other', headers: { host: 'app.example.com' } });
    expect(reply.status).toBe(404);
    expect(reply.body).toBe('');
    expect(Number(reply.headers['content-length'])).toBeGreaterThan(0);
  });

  it.each([
    [undefined, 'text'],
    ['*/*', 'text'],
    ['application/json, text/plain, */*', 'json'],
    [browserAccept, 'html'],
    ['TEXT/HTML', 'html'],
  ])('Accept %s → %s', (accept, format) => {
    expect(negotiateFormat(accept)).toBe(format);
  });

  it('escapes the HTML special characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;');
  });
});
