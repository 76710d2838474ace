import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { NginxAffinity } from '../model/nginx/affinity.js';
import { formatCookieTime, isAffinitized, parseRestyCookies, readStickyCookie, sameSiteNoneCompatible, stickyBackendKey, stickyChoice, stickyFailover, type StickyContext } from './nginx-sticky.js';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');
const base: NginxAffinity = { mode: 'balanced', cookieName: 'INGRESSCOOKIE', path: null, domain: null, expires: null, maxAge: null, sameSite: null, conditionalSameSiteNone: false, secure: false, changeOnFailure: false };
const endpoints = ['10.0.0.1:80', '10.0.0.2:80'];
// 2024-01-01T00:00:00Z
const now = Date.UTC(2024, 0, 1, 0, 0, 0);
const context: StickyContext = { scheme: 'http', locationPath: '/', upstream: 'default-echo-80', now };
const first = (): number => 0;

/** The attributes after NAME=VALUE. */
function attributes(setCookie: string | null): string {
  return (setCookie ?? '').replace(/^[^;]*/, '');
}

describe('stickyChoice', () => {
  it('sets NAME=KEY|BACKEND; Path=/; HttpOnly by default (test/e2e/annotations/affinity.go "should set sticky cookie SERVERID")', () => {
    const r = stickyChoice({ ...base, cookieName: 'SERVERID' }, endpoints, undefined, context, first);
    expect(r.setCookie).toMatch(new RegExp(`^SERVERID=[^|;]+\\|${stickyBackendKey('default-echo-80')}; Path=/; HttpOnly$`));
    expect(stickyBackendKey('default-echo-80')).toBe(md5(md5('default-echo-80') + 'default-echo-80'));
  });

  it('sends a returning cookie to the same endpoint and sets nothing (test/e2e/annotations/affinitymode.go "Balanced affinity mode should balance")', () => {
    for (const pick of [0, 0.3, 0.7, 0.99]) {
      const r = stickyChoice(base, endpoints, undefined, context, () => pick);
      const cookie = (r.setCookie ?? '').split(';')[0] as string;
      const again = stickyChoice(base, endpoints, cookie, context, () => 0.5);
      expect(again).toMatchObject({ endpoint: r.endpoint, setCookie: null });
    }
  });

  it('names the endpoint by md5(upstream .. endpoint) in persistent mode (test/e2e/annotations/affinitymode.go "Check persistent affinity mode")', () => {
    const persistent = { ...base, mode: 'persistent' as const };
    const r = stickyChoice(persistent, endpoints, undefined, context, () => 0.6);
    expect(r.endpoint).toBe('10.0.0.2:80');
    expect(r.setCookie?.split(';')[0]).toBe(`INGRESSCOOKIE=${md5('default-echo-8010.0.0.2:80')}|${stickyBackendKey('default-echo-80')}`);
    // The endpoint is gone: a new one is picked and the cookie changes.
    const cookie = r.setCookie?.split(';')[0];
    const gone = stickyChoice(persistent, ['10.0.0.1:80'], cookie, context, first);
    expect(gone.endpoint).toBe('10.0.0.1:80');
    expect(gone.setCookie).not.toBeNull();
  });

  it('uses session-cookie-path (test/e2e/annotations/affinity.go "should set the path to /something on the generated cookie")', () => {
    expect(attributes(stickyChoice({ ...base, path: '/something' }, endpoints, undefined, context, first).setCookie)).toBe('; Path=/something; HttpOnly');
  });

  it('uses the location path of each rule (test/e2e/annotations/affinity.go "does not set the path to / on the generated cookie if there\'s more than one rule referring to the same backend")', () => {
    expect(attributes(stickyChoice(base, endpoints, undefined, { ...context, locationPath: '/somewhereelse' }, first).setCookie)).toBe('; Path=/somewhereelse; HttpOnly');
  });

  it('writes Expires as ngx.cookie_time and Max-Age (test/e2e/annotations/affinity.go "should set cookie with expires")', () => {
    const r = stickyChoice({ ...base, cookieName: 'ExpiresCookie', expires: 172800, maxAge: 259200 }, endpoints, undefined, context, first);
    expect(attributes(r.setCookie)).toBe('; Expires=Wed, 03-Jan-24 00:00:00 GMT; Max-Age=259200; Path=/; HttpOnly');
  });

  it('writes Domain only when set (test/e2e/annotations/affinity.go "should set cookie with domain", "should not set cookie without domain annotation")', () => {
    expect(attributes(stickyChoice({ ...base, domain: 'foo.bar' }, endpoints, undefined, context, first).setCookie)).toBe('; Domain=foo.bar; Path=/; HttpOnly');
    expect(stickyChoice(base, endpoints, undefined, context, first).setCookie).not.toContain('; Domain');
  });

  it('keeps session-cookie-path with use-regex (test/e2e/annotations/affinity.go "should work with use-regex annotation and session-cookie-path")', () => {
    const r = stickyChoice({ ...base, cookieName: 'SERVERID', path: '/foo/bar' }, endpoints, undefined, { ...context, locationPath: '/foo/.*' }, first);
    expect(r.setCookie).toContain('SERVERID=');
    expect(r.setCookie).toContain('Path=/foo/bar');
  });

  it('sets no cookie on a path of another Ingress sharing the Service (test/e2e/annotations/affinity.go "should not set affinity across all server locations when using separate ingresses")', () => {
    const r = stickyChoice(base, endpoints, undefined, { ...context, locationPath: '/foo', setsCookie: false }, first);
    expect(r.setCookie).toBeNull();
    expect(r.endpoint).not.toBeNull();
  });

  it.each([
    ['true on http', true, 'http', true],
    ['false on http', false, 'http', false],
    ['false on https', false, 'https', true],
  ] as const)('Secure with session-cookie-secure %s (test/e2e/annotations/affinity.go "should set secure in cookie with provided …")', (_t, secure, scheme, expected) => {
    const r = stickyChoice({ ...base, secure }, endpoints, undefined, { ...context, scheme }, first);
    expect((r.setCookie ?? '').includes('; Secure')).toBe(expected);
  });

  it('writes SameSite last, only as None, Lax or Strict, and drops None for old browsers when conditional (balancer/sticky.lua set_cookie, util/same_site.lua)', () => {
    expect(attributes(stickyChoice({ ...base, sameSite: 'None' }, endpoints, undefined, { ...context, scheme: 'https' }, first).setCookie)).toBe('; Path=/; Secure; HttpOnly; SameSite=None');
    expect(attributes(stickyChoice({ ...base, sameSite: 'lax' }, endpoints, undefined, context, first).setCookie)).toBe('; Path=/; HttpOnly');
    const oldChrome = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/59.0.3071.115 Safari/537.36';
    expect(attributes(stickyChoice({ ...base, sameSite: 'None', conditionalSameSiteNone: true }, endpoints, undefined, { ...context, userAgent: oldChrome }, first).setCookie)).toBe('; Path=/; HttpOnly');
    expect(sameSiteNoneCompatible('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.0 Safari/605.1.15')).toBe(false);
    expect(sameSiteNoneCompatible(undefined)).toBe(true);
  });

  it('answers no endpoint for a backend without endpoints (balancer/sticky.lua balance)', () => {
    expect(stickyChoice(base, [], undefined, context, first).endpoint).toBeNull();
  });
});

describe('stickyFailover', () => {
  const persistent = { ...base, mode: 'persistent' as const };
  const cookieFor = (endpoint: string): string => `INGRESSCOOKIE=${md5(`default-echo-80${endpoint}`)}|${stickyBackendKey('default-echo-80')}`;

  it('retries on the cookie\'s endpoint without session-cookie-change-on-failure (balancer/sticky.lua balance)', () => {
    expect(stickyFailover(persistent, endpoints, cookieFor('10.0.0.1:80'), ['10.0.0.1:80'], context, first)).toMatchObject({ endpoint: '10.0.0.1:80', setCookie: null });
  });

  it('moves the session with session-cookie-change-on-failure (balancer/sticky.lua balance, get_failed_upstreams)', () => {
    const r = stickyFailover({ ...persistent, changeOnFailure: true }, endpoints, cookieFor('10.0.0.1:80'), ['10.0.0.1:80'], context, first);
    expect(r.endpoint).toBe('10.0.0.2:80');
    expect(r.setCookie?.split(';')[0]).toBe(cookieFor('10.0.0.2:80'));
  });
});

describe('cookies', () => {
  it('reads the sticky cookie as lua-resty-cookie does: last of a name wins, | splits', () => {
    expect(parseRestyCookies('a=1; b=2; a=3').get('a')).toBe('3');
    expect(readStickyCookie('INGRESSCOOKIE=k|b', 'INGRESSCOOKIE')).toEqual({ upstreamKey: 'k', backendKey: 'b' });
    expect(readStickyCookie('INGRESSCOOKIE=|b', 'INGRESSCOOKIE')).toEqual({ upstreamKey: 'b', backendKey: null });
    expect(readStickyCookie(undefined, 'INGRESSCOOKIE')).toEqual({ upstreamKey: null, backendKey: null });
  });

  it('tells the canary\'s session from the main one by the backend key (test/e2e/annotations/canary.go "always routes traffic to canary if first request was affinitized to canary")', () => {
    const aff = { ...base, cookieName: 'aff' };
    const canaryCookie = `aff=anything|${stickyBackendKey('default-canary-80')}`;
    expect(isAffinitized(aff, 'default-canary-80', canaryCookie)).toBe(true);
    expect(isAffinitized(aff, 'default-echo-80', canaryCookie)).toBe(false);
    expect(isAffinitized(null, 'default-canary-80', canaryCookie)).toBe(false);
  });

  it('formats ngx.cookie_time with a two-digit year up to 2037', () => {
    expect(formatCookieTime(Date.UTC(2024, 0, 3) / 1000)).toBe('Wed, 03-Jan-24 00:00:00 GMT');
    expect(formatCookieTime(Date.UTC(2040, 5, 1, 12, 5, 9) / 1000)).toBe('Fri, 01-Jun-2040 12:05:09 GMT');
  });
});
