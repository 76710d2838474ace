import { describe, expect, it } from 'vitest';
import { reader } from './annotation.test-util.js';
import { affinityAnnotations, readAffinityCanaryBehavior, readNginxAffinity, sessionCookieExpires, sessionCookieSameSite } from './affinity.js';

describe('readNginxAffinity', () => {
  it('reads every cookie setting (annotations/sessionaffinity/main_test.go TestIngressAffinityCookieConfig)', () => {
    const read = reader({
      affinity: 'cookie',
      'affinity-mode': 'balanced',
      'session-cookie-name': 'INGRESSCOOKIE',
      'session-cookie-expires': '4500',
      'session-cookie-max-age': '3000',
      'session-cookie-path': '/foo',
      'session-cookie-domain': 'foo.bar',
      'session-cookie-samesite': 'Strict',
      'session-cookie-change-on-failure': 'true',
      'session-cookie-secure': 'true',
    });
    expect(readNginxAffinity(read)).toEqual({
      mode: 'balanced', cookieName: 'INGRESSCOOKIE', expires: 4500, maxAge: 3000, path: '/foo', domain: 'foo.bar',
      sameSite: 'Strict', conditionalSameSiteNone: false, changeOnFailure: true, secure: true,
    });
  });

  it('has the defaults of cookieAffinityParse: INGRESSCOOKIE, balanced, no path, not secure (annotations/sessionaffinity/main.go)', () => {
    expect(readNginxAffinity(reader({ affinity: 'cookie' }))).toEqual({
      mode: 'balanced', cookieName: 'INGRESSCOOKIE', expires: null, maxAge: null, path: null, domain: null,
      sameSite: null, conditionalSameSiteNone: false, changeOnFailure: false, secure: false,
    });
  });

  it('is null without affinity: cookie, and for any other type (annotations/sessionaffinity/main.go ValidateOptions(["cookie"]))', () => {
    expect(readNginxAffinity(reader({ 'session-cookie-name': 'SERVERID' }))).toBeNull();
    expect(readNginxAffinity(reader({ affinity: 'Cookie' }))).toBeNull();
    expect(readNginxAffinity(reader({ affinity: ' cookie ' }))).not.toBeNull();
  });

  it('reads persistent mode (test/e2e/annotations/affinitymode.go "Check persistent affinity mode")', () => {
    expect(readNginxAffinity(reader({ affinity: 'cookie', 'affinity-mode': 'persistent' }))?.mode).toBe('persistent');
    expect(readNginxAffinity(reader({ affinity: 'cookie', 'affinity-mode': 'sticky' }))?.mode).toBe('balanced');
  });

  it('checks expires with the unanchored affinityCookieExpiresRegex, then as a number (annotations/sessionaffinity/main.go)', () => {
    expect(sessionCookieExpires.parse('172800')).toEqual({ ok: true, value: 172800 });
    expect(sessionCookieExpires.parse('-1')).toEqual({ ok: true, value: -1 });
    expect(sessionCookieExpires.parse('1h').ok).toBe(false);
    expect(sessionCookieExpires.parse('abc5').ok).toBe(false);
  });

  it('accepts samesite in any case but keeps it as written (annotations/sessionaffinity/main.go ValidateOptions(…, false, true))', () => {
    expect(sessionCookieSameSite.parse('none')).toEqual({ ok: true, value: 'none' });
    expect(sessionCookieSameSite.parse('None')).toEqual({ ok: true, value: 'None' });
    expect(sessionCookieSameSite.parse('relaxed').ok).toBe(false);
  });

  it('reads affinity-canary-behavior whatever the affinity: only "legacy" is legacy (controller.go mergeAlternativeBackend)', () => {
    expect(readAffinityCanaryBehavior(reader({}))).toBe('sticky');
    expect(readAffinityCanaryBehavior(reader({ 'affinity-canary-behavior': 'legacy' }))).toBe('legacy');
    expect(readAffinityCanaryBehavior(reader({ 'affinity-canary-behavior': 'Legacy' }))).toBe('sticky');
    expect(affinityAnnotations).toHaveLength(12);
  });
});
