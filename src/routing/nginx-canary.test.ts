import { describe, expect, it } from 'vitest';
import type { NginxCanary } from '../model/nginx/canary.js';
import { decideCanary, nginxCookieVariable, nginxHeaderVariable } from './nginx-canary.js';

const none: NginxCanary = { header: '', headerValue: '', headerPattern: '', cookie: '', weight: 0, weightTotal: 100 };
const never = (): number => 0.999999;
const headers = (h: Record<string, string>): { headers: Record<string, string> } => ({ headers: h });

describe('decideCanary', () => {
  const byHeader = { ...none, header: 'CanaryByHeader' };

  it.each([
    ['always', true],
    ['never', false],
    ['badheadervalue', false],
  ])('canary-by-header with %s (test/e2e/annotations/canary.go "when canaried by header with no value")', (value, canary) => {
    expect(decideCanary(byHeader, headers({ canarybyheader: value }), never).canary).toBe(canary);
  });

  it('explains the header rule (balancer.lua route_to_alternative_balancer)', () => {
    expect(decideCanary({ ...none, header: 'X-Canary' }, headers({ 'x-canary': 'always' }), never).why).toBe('canary-by-header: X-Canary is "always"');
  });

  it.each([
    ['DoCanary', true],
    ['always', false],
    ['never', false],
    ['otherheadervalue', false],
  ])('canary-by-header-value DoCanary with %s (test/e2e/annotations/canary.go "when canaried by header with value")', (value, canary) => {
    expect(decideCanary({ ...byHeader, headerValue: 'DoCanary' }, headers({ canarybyheader: value }), never).canary).toBe(canary);
  });

  it.each([
    ['DoCanary', true],
    ['Docanary', false],
  ])('canary-by-header-pattern ^Do[A-Z][a-z]+y$ with %s (test/e2e/annotations/canary.go "when canaried by header with value and pattern")', (value, canary) => {
    expect(decideCanary({ ...byHeader, headerPattern: '^Do[A-Z][a-z]+y$' }, headers({ canarybyheader: value }), never).canary).toBe(canary);
  });

  it('ignores the pattern when a value is set (test/e2e/annotations/canary.go "when canaried by header with value and pattern", second case)', () => {
    expect(decideCanary({ ...byHeader, headerValue: 'DoCanary', headerPattern: '^Do[A-Z][a-z]+y$' }, headers({ canarybyheader: 'DoCananry' }), never).canary).toBe(false);
  });

  it('stays on the main backend when the pattern is broken, even with the cookie at always (test/e2e/annotations/canary.go "should routes to mainline upstream when the given Regex causes error")', () => {
    const d = decideCanary({ ...byHeader, headerPattern: '[][**da?$&*', cookie: 'CanaryByCookie' }, headers({ canarybyheader: 'DoCanary', cookie: 'CanaryByCookie=always' }), () => 0);
    expect(d.canary).toBe(false);
  });

  it('falls through to the cookie when the header does not decide (test/e2e/annotations/canary.go "when canaried by header with value and cookie")', () => {
    const d = decideCanary({ ...byHeader, headerValue: 'DoCanary', cookie: 'CanaryByCookie' }, headers({ canarybyheader: 'otherheadervalue', cookie: 'CanaryByCookie=always' }), never);
    expect(d).toEqual({ canary: true, why: 'canary-by-cookie: cookie CanaryByCookie is "always"' });
  });

  it.each([
    ['always', true],
    ['never', false],
    ['badcookievalue', false],
  ])('canary-by-cookie with %s (test/e2e/annotations/canary.go "respects always and never values")', (value, canary) => {
    expect(decideCanary({ ...none, cookie: 'Canary-By-Cookie' }, headers({ cookie: `Canary-By-Cookie=${value}` }), never).canary).toBe(canary);
  });

  it('never draws the canary at weight 0 and always at 100 (test/e2e/annotations/canary.go "when canaried by weight")', () => {
    expect(decideCanary({ ...none, weight: 0 }, headers({}), () => 0).canary).toBe(false);
    expect(decideCanary({ ...none, weight: 100 }, headers({}), never).canary).toBe(true);
  });

  it('draws math.random(total) <= weight (test/e2e/annotations/canary.go "should route requests only to canary if canary weight is equal to canary weight total")', () => {
    expect(decideCanary({ ...none, weight: 1000, weightTotal: 1000 }, headers({}), never).canary).toBe(true);
    expect(decideCanary({ ...none, weight: 100, weightTotal: 200 }, headers({}), () => 0.499).canary).toBe(true);
    expect(decideCanary({ ...none, weight: 100, weightTotal: 200 }, headers({}), () => 0.5).canary).toBe(false);
    expect(decideCanary({ ...none, weight: 50 }, headers({}), () => 0.495).why).toBe('canary-weight: 50 of 100 drawn, within the weight 50');
  });

  it('counts a weight total of 100 or less as 100 (balancer.lua route_to_alternative_balancer)', () => {
    expect(decideCanary({ ...none, weight: 10, weightTotal: 10 }, headers({}), () => 0.5).canary).toBe(false);
  });

  it('keeps a session on the backend its cookie names before any rule (test/e2e/annotations/canary.go "canary affinity behavior")', () => {
    expect(decideCanary({ ...byHeader, weight: 1 }, headers({}), never, 'canary').canary).toBe(true);
    expect(decideCanary(byHeader, headers({ canarybyheader: 'always' }), () => 0, 'main').canary).toBe(false);
  });
});

describe('nginx variables', () => {
  it('reads $http_ case-insensitively with - as _, and skips header names holding _', () => {
    expect(nginxHeaderVariable({ 'x-canary': 'always' }, 'X-CANARY')).toBe('always');
    expect(nginxHeaderVariable({ x_canary: 'always' }, 'X-Canary')).toBeUndefined();
    expect(nginxHeaderVariable({ 'x-canary': ['a', 'b'] }, 'X-Canary')).toBe('a, b');
  });

  it('reads $cookie_ case-insensitively, the first cookie of that name', () => {
    expect(nginxCookieVariable('a=1; canary=always; canary=never', 'Canary')).toBe('always');
    expect(nginxCookieVariable('canaryx=always', 'canary')).toBeUndefined();
    expect(nginxCookieVariable('other=1', 'canary')).toBeUndefined();
  });
});
