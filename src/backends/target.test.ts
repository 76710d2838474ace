import { describe, expect, it } from 'vitest';
import { parseMapFlag, parseServiceSelector, parseTarget } from './target.js';

describe('parseTarget', () => {
  it.each([
    ['3000', 'http://127.0.0.1:3000'],
    ['localhost:4000', 'http://localhost:4000'],
    ['http://10.1.2.3:8080', 'http://10.1.2.3:8080'],
    ['HTTPS://api.local:8443', 'https://api.local:8443'],
    ['https://api.local', 'https://api.local:443'],
    ['http://api.local/', 'http://api.local:80'],
    ['[::1]:3000', 'http://[::1]:3000'],
  ])('%s → %s', (text, origin) => {
    const t = parseTarget(text);
    expect(t.ok && t.target.kind === 'http' ? t.target.origin : t).toBe(origin);
  });

  it('echo is the built-in responder', () => {
    expect(parseTarget('echo')).toEqual({ ok: true, target: { kind: 'echo' } });
  });

  it.each([
    ['0', 'between 1 and 65535'],
    ['70000', 'between 1 and 65535'],
    ['ftp://x:21', 'only http:// and https://'],
    ['http://x:80/path', 'without a path'],
    ['web', 'not a target'],
    ['container:web', 'Docker targets are not supported yet'],
  ])('%s is rejected with a reason', (text, reason) => {
    const t = parseTarget(text);
    expect(t.ok).toBe(false);
    if (!t.ok) expect(t.error).toContain(reason);
  });
});

describe('service selectors and --map', () => {
  it('parses [NAMESPACE/]SERVICE[:PORT]', () => {
    expect(parseServiceSelector('web')).toEqual({ namespace: null, service: 'web', port: null });
    expect(parseServiceSelector('shop/web:http')).toEqual({ namespace: 'shop', service: 'web', port: 'http' });
    expect(parseServiceSelector('web:80')).toEqual({ namespace: null, service: 'web', port: '80' });
    expect(parseServiceSelector('we b')).toBeNull();
  });

  it('parses --map flags and explains bad ones', () => {
    expect(parseMapFlag('api:8080=4000')).toMatchObject({ ok: true, selector: { service: 'api', port: '8080' }, target: { origin: 'http://127.0.0.1:4000' } });
    expect(parseMapFlag('web')).toMatchObject({ ok: false, error: expect.stringContaining('SERVICE[:PORT]=TARGET') });
    expect(parseMapFlag('web=abc')).toMatchObject({ ok: false, error: expect.stringContaining('not a target') });
  });
});
