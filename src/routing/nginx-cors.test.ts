import { describe, expect, it } from 'vitest';
import { defaultCorsHeaders, defaultCorsMethods, type NginxCors } from '../model/nginx/cors.js';
import { answerCors, matchCorsOrigin } from './nginx-cors.js';

const defaults: NginxCors = {
  allowOrigins: ['*'],
  skippedOrigins: [],
  allowMethods: defaultCorsMethods,
  allowHeaders: defaultCorsHeaders,
  exposeHeaders: '',
  allowCredentials: true,
  maxAge: 1728000,
};
const withOrigins = (...allowOrigins: string[]): NginxCors => ({ ...defaults, allowOrigins });
const get = (origin?: string) => ({ method: 'GET', origin });
const options = (origin?: string) => ({ method: 'OPTIONS', origin });
/** What a client sees as Access-Control-Allow-Origin (undefined: not sent). */
const allowOriginOf = (cors: NginxCors, origin?: string): string | undefined => {
  const answer = answerCors(cors, get(origin));
  return answer.kind === 'none' ? undefined : answer.headers.find(([k]) => k === 'Access-Control-Allow-Origin')?.[1];
};

describe('answerCors', () => {
  it('adds the default headers, in the template order (test/e2e/annotations/cors.go "should enable cors"; nginx.tmpl define "CORS")', () => {
    expect(answerCors(defaults, get())).toEqual({
      kind: 'headers',
      headers: [
        ['Access-Control-Allow-Origin', '*'],
        ['Access-Control-Allow-Credentials', 'true'],
        ['Access-Control-Allow-Methods', 'GET, PUT, POST, DELETE, PATCH, OPTIONS'],
        ['Access-Control-Allow-Headers', 'DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization'],
        ['Access-Control-Max-Age', '1728000'],
      ],
      why: 'CORS: cors-allow-origin is *, so every request is allowed; nginx sets the Access-Control-* headers on the response',
    });
  });

  it('answers a preflight with 204 and Content-Length 0, the Content-Type emptied by nginx for a 204 (nginx.tmpl define "CORS", `if ($cors = "trueoptions")`; headers-more ngx_http_set_content_type_header; nginx ngx_http_header_filter NGX_HTTP_NO_CONTENT)', () => {
    const c: NginxCors = { ...withOrigins('https://*.example.com'), exposeHeaders: 'X-A', maxAge: 600 };
    expect(answerCors(c, options('https://a.example.com'))).toEqual({
      kind: 'preflight',
      status: 204,
      headers: [
        ['Access-Control-Allow-Origin', 'https://a.example.com'],
        ['Access-Control-Allow-Credentials', 'true'],
        ['Access-Control-Allow-Methods', defaultCorsMethods],
        ['Access-Control-Allow-Headers', defaultCorsHeaders],
        ['Access-Control-Expose-Headers', 'X-A'],
        ['Access-Control-Max-Age', '600'],
        ['Content-Length', '0'],
      ],
      why: 'CORS: origin https://a.example.com is allowed by https://*.example.com; nginx answers the OPTIONS preflight itself with 204',
    });
  });

  it('sends * for every origin, and none at all, with cors-allow-origin * (test/e2e/annotations/cors.go "should not break functionality", "should not break functionality - without `*`", "should allow - missing origins (should allow all origins)")', () => {
    expect(allowOriginOf(defaults)).toBe('*');
    expect(allowOriginOf(defaults, 'http://origin.com')).toBe('*');
    expect(allowOriginOf(defaults, 'http://book.origin.com')).toBe('*');
    expect(allowOriginOf(defaults, 'test.origin.com')).toBe('*');
    // `set $http_origin *; set $cors 'true';`: a preflight without Origin still gets 204.
    expect(answerCors(defaults, options())).toMatchObject({ kind: 'preflight', status: 204 });
  });

  it('sets the methods, max-age, allow-headers and expose-headers as written (test/e2e/annotations/cors.go "should set cors methods to only allow POST, GET", "should set cors max-age", "should allow headers for cors", "should expose headers for cors")', () => {
    const c: NginxCors = { ...defaults, allowMethods: 'POST, GET', maxAge: 200, allowHeaders: 'DNT, User-Agent', exposeHeaders: 'X-CustomResponseHeader, X-CustomSecondHeader' };
    const answer = answerCors(c, get('https://x.test'));
    expect(answer.kind === 'headers' ? answer.headers : []).toEqual(expect.arrayContaining([
      ['Access-Control-Allow-Methods', 'POST, GET'],
      ['Access-Control-Max-Age', '200'],
      ['Access-Control-Allow-Headers', 'DNT, User-Agent'],
      ['Access-Control-Expose-Headers', 'X-CustomResponseHeader, X-CustomSecondHeader'],
    ]));
  });

  it('leaves Access-Control-Allow-Credentials out when it is false (test/e2e/annotations/cors.go "should disable cors allow credentials")', () => {
    const answer = answerCors({ ...defaults, allowCredentials: false }, get());
    expect(answer.kind === 'headers' ? answer.headers.map(([k]) => k) : []).not.toContain('Access-Control-Allow-Credentials');
  });

  it('echoes an allowed origin (test/e2e/annotations/cors.go "should allow origin for cors", "should allow - single origin for multiple cors values")', () => {
    expect(allowOriginOf(withOrigins('https://origin.cors.com:8080'), 'https://origin.cors.com:8080')).toBe('https://origin.cors.com:8080');
    expect(allowOriginOf(withOrigins('https://origin.cors.com:8080', 'https://origin2.cors.com'), 'https://origin.cors.com:8080')).toBe('https://origin.cors.com:8080');
  });

  it('adds nothing for an origin not in the list (test/e2e/annotations/cors.go "should not allow - single origin for multiple cors values", "should not match")', () => {
    const c = withOrigins('http://origin2.cors.com', 'https://origin.com');
    expect(answerCors(c, get('http://no.origin.com'))).toEqual({
      kind: 'none',
      why: 'CORS: origin http://no.origin.com is not allowed by http://origin2.cors.com, https://origin.com, so nginx adds no CORS headers',
    });
    // The dot is escaped (regexp.QuoteMeta): it is not "any character".
    expect(allowOriginOf(withOrigins('https://foo.bar.com'), 'https://fooxbar.com')).toBeUndefined();
  });

  it('lets an OPTIONS request from an origin not allowed through to the backend (nginx.tmpl: $cors is "options", neither "true" nor "trueoptions")', () => {
    expect(answerCors(withOrigins('https://origin.com'), options('https://other.com'))).toMatchObject({ kind: 'none', why: expect.stringContaining('the OPTIONS request goes to the backend') });
    expect(answerCors(withOrigins('https://origin.com'), options())).toMatchObject({ kind: 'none', why: 'CORS: the request has no Origin header, so nginx adds no CORS headers; the OPTIONS request goes to the backend' });
  });

  it('allows only the origins Parse kept (test/e2e/annotations/cors.go "should allow correct origins - single origin for multiple cors values")', () => {
    // "origin.cors.com:8080" was skipped by Parse (see cors.test.ts).
    const c = withOrigins('https://origin2.cors.com', 'https://origin.com');
    expect(allowOriginOf(c, 'origin.cors.com:8080')).toBeUndefined();
    expect(allowOriginOf(c, 'https://origin2.cors.com')).toBe('https://origin2.cors.com');
    expect(allowOriginOf(c, 'https://origin.com')).toBe('https://origin.com');
  });

  it('requires the port to match exactly (test/e2e/annotations/cors.go "should allow - single origin with required port", "should not allow - single origin with port and origin without port", "should not allow - single origin without port and origin with required port")', () => {
    expect(allowOriginOf(withOrigins('http://origin.cors.com:8080', 'http://origin.com:8080'), 'http://origin.com:8080')).toBe('http://origin.com:8080');
    expect(allowOriginOf(withOrigins('https://origin2.cors.com', 'http://origin.com'), 'http://origin.com:8080')).toBeUndefined();
    expect(allowOriginOf(withOrigins('http://origin.cors.com:8080', 'http://origin.com:8080'), 'http://origin.com')).toBeUndefined();
  });

  it('matches one subdomain label for *. (test/e2e/annotations/cors.go "should allow - matching origin with wildcard origin (2 subdomains)", "should not allow - unmatching origin with wildcard origin (2 subdomains)")', () => {
    const c = withOrigins('http://*.origin.cors.com', 'http://*.origin.com:8080');
    expect(allowOriginOf(c, 'http://foo.origin.cors.com')).toBe('http://foo.origin.cors.com');
    expect(allowOriginOf(c, 'http://bar-foo.origin.cors.com')).toBe('http://bar-foo.origin.cors.com');
    expect(allowOriginOf(c, 'http://bar.foo.origin.cors.com')).toBeUndefined();
  });

  it('matches a wildcard with its port only (test/e2e/annotations/cors.go "should allow - matching origin+port with wildcard origin", "should not allow - portless origin with wildcard origin", "should allow correct origins - missing subdomain + origin with wildcard origin and correct origin")', () => {
    const c = withOrigins('http://origin.cors.com:8080', 'http://*.origin.com:8080');
    expect(allowOriginOf(c, 'http://abc.origin.com:8080')).toBe('http://abc.origin.com:8080');
    expect(allowOriginOf(c, 'http://abc.origin.com')).toBeUndefined();
    expect(allowOriginOf(c, 'http://origin.com:8080')).toBeUndefined();
    expect(allowOriginOf(c, 'http://bar.origin.com:8080')).toBe('http://bar.origin.com:8080');
    expect(answerCors(c, get('http://bar.origin.com:8080')).why).toBe('CORS: origin http://bar.origin.com:8080 is allowed by http://*.origin.com:8080; nginx sets the Access-Control-* headers on the response');
  });

  it('allows the listed origins but not others after a trailing comma (test/e2e/annotations/cors.go "should allow correct origin but not others - cors allow origin annotations contain trailing comma")', () => {
    const c = withOrigins('https://origin-123.cors.com:8080', 'https://origin-321.cors.com:8080');
    expect(allowOriginOf(c, 'https://origin-123.cors.com:8080')).toBe('https://origin-123.cors.com:8080');
    expect(allowOriginOf(c, 'https://origin-321.cors.com:8080')).toBe('https://origin-321.cors.com:8080');
    expect(allowOriginOf(c, 'https://unknown.cors.com:8080')).toBeUndefined();
  });

  it('allows non-http schemes (test/e2e/annotations/cors.go "should allow - origins with non-http[s] protocols")', () => {
    const c = withOrigins('test://localhost', 'tauri://localhost:3000');
    expect(allowOriginOf(c, 'test://localhost')).toBe('test://localhost');
    expect(allowOriginOf(c, 'tauri://localhost:3000')).toBe('tauri://localhost:3000');
  });

  it('matches "null" origins (cors/main_test.go TestIngressCorsConfigAllowOriginNull; template.go buildOriginRegex)', () => {
    expect(allowOriginOf(withOrigins('https://origin123.test.com:4443', 'null'), 'null')).toBe('null');
  });

  it('matches case-insensitively and echoes the Origin as sent (nginx.tmpl `$http_origin ~*`)', () => {
    expect(allowOriginOf(withOrigins('https://*.example.com'), 'HTTPS://A.Example.COM')).toBe('HTTPS://A.Example.COM');
  });

  it('anchors the pattern at the end only, so an Origin ending with an allowed one passes (template.go buildCorsOriginRegex: `(...)$` without `^`)', () => {
    expect(matchCorsOrigin(['https://example.com'], 'https://evil.test.https://example.com')).toBe('https://example.com');
    expect(matchCorsOrigin(['null'], 'http://annull')).toBe('null');
    expect(matchCorsOrigin(['https://example.com'], 'https://example.com.evil.test')).toBeNull();
  });

  it('allows nothing when every cors-allow-origin entry was skipped (nginx.tmpl `{{ if $cors.CorsAllowOrigin }}`: no origin regex, $cors never "true")', () => {
    expect(answerCors(withOrigins(), get('https://a.com'))).toEqual({ kind: 'none', why: 'CORS: cors-allow-origin has no valid origin, so nginx adds no CORS headers' });
    expect(answerCors(withOrigins(), options('https://a.com'))).toMatchObject({ kind: 'none' });
  });

  it('answers only OPTIONS itself, compared exactly (nginx.tmpl `$request_method = \'OPTIONS\'`)', () => {
    const c = withOrigins('https://a.com');
    for (const method of ['GET', 'POST', 'HEAD', 'DELETE']) expect(answerCors(c, { method, origin: 'https://a.com' }).kind).toBe('headers');
    expect(answerCors(c, { method: 'OPTIONS', origin: 'https://a.com' }).kind).toBe('preflight');
  });
});
