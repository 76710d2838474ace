import { describe, expect, it } from 'vitest';
import type { NginxAnnotation } from './annotation.js';
import { corsAllowHeaders, corsAllowMethods, corsAllowOrigin, corsAnnotations, corsExposeHeaders, corsMaxAge, defaultCorsHeaders, defaultCorsMethods, defaultCorsMaxAge, enableCors, readNginxCors, type NginxCors } from './cors.js';

/** The registry's `read` (registry.ts): an empty value is not set; a refused one is null. */
function readFrom(annotations: Record<string, string>): <T>(a: NginxAnnotation<T>) => T | null {
  return <T>(a: NginxAnnotation<T>): T | null => {
    const value = annotations[a.name];
    if (value === undefined || value === '') return null;
    const parsed = a.parse(value);
    return parsed.ok ? parsed.value : null;
  };
}

const cors = (annotations: Record<string, string>): NginxCors | null => readNginxCors(readFrom({ 'enable-cors': 'true', ...annotations }));

describe('CORS annotations', () => {
  it('lists the seven annotations of cors/main.go', () => {
    expect(corsAnnotations.map((a) => a.name)).toEqual(['enable-cors', 'cors-allow-origin', 'cors-allow-methods', 'cors-allow-headers', 'cors-expose-headers', 'cors-allow-credentials', 'cors-max-age']);
  });

  it('reads valid values (cors/main_test.go TestIngressCorsConfigValid)', () => {
    expect(cors({
      'cors-allow-headers': 'DNT,X-CustomHeader, Keep-Alive,User-Agent',
      'cors-allow-credentials': 'false',
      'cors-allow-methods': 'GET, PATCH',
      'cors-allow-origin': 'null, https://origin123.test.com:4443',
      'cors-expose-headers': '*, X-CustomResponseHeader',
      'cors-max-age': '600',
    })).toEqual({
      allowOrigins: ['null', 'https://origin123.test.com:4443'],
      skippedOrigins: [],
      allowMethods: 'GET, PATCH',
      allowHeaders: 'DNT,X-CustomHeader, Keep-Alive,User-Agent',
      exposeHeaders: '*, X-CustomResponseHeader',
      allowCredentials: false,
      maxAge: 600,
    });
  });

  it('is off when enable-cors is not a boolean (cors/main_test.go TestIngressCorsConfigInvalid)', () => {
    expect(readNginxCors(readFrom({ 'enable-cors': 'yes' }))).toBeNull();
    expect(enableCors.parse('yes')).toMatchObject({ ok: false, error: '"yes" is not a boolean' });
    expect(readNginxCors(readFrom({}))).toBeNull();
    expect(readNginxCors(readFrom({ 'enable-cors': 'false' }))).toBeNull();
  });

  it('falls back to the defaults for invalid values (cors/main_test.go TestIngressCorsConfigInvalid)', () => {
    const c = cors({
      'cors-allow-headers': '@alright, #ingress',
      'cors-allow-credentials': 'no',
      'cors-allow-methods': 'GET, PATCH, $nginx',
      'cors-allow-origin': 'origin123.test.com:4443',
      'cors-expose-headers': '@alright, #ingress',
      'cors-max-age': 'abcd',
    });
    expect(c).toMatchObject({ allowCredentials: true, allowHeaders: defaultCorsHeaders, allowMethods: defaultCorsMethods, exposeHeaders: '', maxAge: defaultCorsMaxAge });
    // The validator accepts an origin without a scheme; Parse's corsOriginRegex then skips it.
    expect(c).toMatchObject({ allowOrigins: [], skippedOrigins: ['origin123.test.com:4443'] });
  });

  it('says what ingress-nginx uses instead of a refused value (cors/main.go Parse defaults)', () => {
    expect(corsMaxAge.parse('abcd')).toMatchObject({ ok: false, error: '"abcd" is not an integer', hint: expect.stringContaining('1728000') });
    expect(corsAllowMethods.parse('GET, $nginx')).toMatchObject({ ok: false, hint: expect.stringContaining(defaultCorsMethods) });
    expect(corsAllowOrigin.parse('https://a.com/path')).toMatchObject({ ok: false, hint: expect.stringContaining('(*)') });
    expect(corsExposeHeaders.parse('#x')).toMatchObject({ ok: false, hint: expect.stringContaining('no Access-Control-Expose-Headers') });
  });

  it('skips empty entries and a trailing comma (cors/main_test.go TestIngressCorsConfigAllowOriginWithTrailingComma)', () => {
    expect(cors({ 'cors-allow-origin': 'https://origin123.test.com:4443,    ,https://origin321.test.com:4443,' })?.allowOrigins)
      .toEqual(['https://origin123.test.com:4443', 'https://origin321.test.com:4443']);
  });

  it('keeps null among origins (cors/main_test.go TestIngressCorsConfigAllowOriginNull)', () => {
    expect(cors({ 'cors-allow-origin': 'https://origin123.test.com:4443,null,https://origin321.test.com:4443' })?.allowOrigins)
      .toEqual(['https://origin123.test.com:4443', 'null', 'https://origin321.test.com:4443']);
  });

  it('accepts any lowercase scheme (cors/main_test.go TestIngressCorsConfigAllowOriginWithNonHttpProtocol)', () => {
    expect(cors({ 'cors-allow-origin': 'test://localhost' })?.allowOrigins).toEqual(['test://localhost']);
    expect(cors({ 'cors-allow-origin': 'test://localhost, tauri://localhost:3000' })?.allowOrigins).toEqual(['test://localhost', 'tauri://localhost:3000']);
  });

  it('uses the defaults with enable-cors alone (test/e2e/annotations/cors.go "should enable cors")', () => {
    expect(cors({})).toEqual({
      allowOrigins: ['*'],
      skippedOrigins: [],
      allowMethods: 'GET, PUT, POST, DELETE, PATCH, OPTIONS',
      allowHeaders: 'DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization',
      exposeHeaders: '',
      allowCredentials: true,
      maxAge: 1728000,
    });
  });

  it('reads methods, max-age, credentials, headers and expose headers (test/e2e/annotations/cors.go "should set cors methods to only allow POST, GET", "should set cors max-age", "should disable cors allow credentials", "should allow headers for cors", "should expose headers for cors")', () => {
    expect(cors({ 'cors-allow-methods': 'POST, GET' })?.allowMethods).toBe('POST, GET');
    expect(cors({ 'cors-max-age': '200' })?.maxAge).toBe(200);
    expect(cors({ 'cors-allow-credentials': 'false' })?.allowCredentials).toBe(false);
    expect(cors({ 'cors-allow-headers': 'DNT, User-Agent' })?.allowHeaders).toBe('DNT, User-Agent');
    expect(cors({ 'cors-expose-headers': 'X-CustomResponseHeader, X-CustomSecondHeader' })?.exposeHeaders).toBe('X-CustomResponseHeader, X-CustomSecondHeader');
  });

  it('makes "*" among origins mean every origin (test/e2e/annotations/cors.go "should not break functionality with extra domain")', () => {
    expect(cors({ 'cors-allow-origin': '*, foo.bar.com' })?.allowOrigins).toEqual(['*']);
    expect(cors({ 'cors-allow-origin': 'https://a.com, *' })?.allowOrigins).toEqual(['*']);
  });

  it('treats a blank cors-allow-origin as * (test/e2e/annotations/cors.go "should allow - missing origins (should allow all origins)")', () => {
    expect(corsAllowOrigin.parse('      ')).toMatchObject({ ok: false });
    expect(cors({ 'cors-allow-origin': '      ' })?.allowOrigins).toEqual(['*']);
  });

  it('keeps the good origins and skips the one without a scheme (test/e2e/annotations/cors.go "should allow correct origins - single origin for multiple cors values")', () => {
    expect(cors({ 'cors-allow-origin': 'origin.cors.com:8080, https://origin2.cors.com, https://origin.com' }))
      .toMatchObject({ allowOrigins: ['https://origin2.cors.com', 'https://origin.com'], skippedOrigins: ['origin.cors.com:8080'] });
  });

  it('accepts wildcard subdomains with and without a port (test/e2e/annotations/cors.go "should allow - matching origin with wildcard origin (2 subdomains)")', () => {
    expect(cors({ 'cors-allow-origin': 'http://*.origin.cors.com, http://*.origin.com:8080' })?.allowOrigins).toEqual(['http://*.origin.cors.com', 'http://*.origin.com:8080']);
  });

  it('refuses a whole list the validator refuses, which means * (cors/main.go corsOriginRegexValidator)', () => {
    // A path, an uppercase scheme, a port that is not a number: the validator fails.
    for (const bad of ['https://a.com/x', 'HTTPS://a.com', 'https://a.com:port']) {
      expect(corsAllowOrigin.parse(bad)).toMatchObject({ ok: false });
      expect(cors({ 'cors-allow-origin': bad })?.allowOrigins).toEqual(['*']);
    }
  });

  it('skips an entry the validator lets through but corsOriginRegex refuses (cors/main.go Parse "Skipping.")', () => {
    // The validator reads "https://a.*.com" as "https://a." then "*.com"; the entry regex wants `*.` right after the scheme.
    expect(cors({ 'cors-allow-origin': 'https://a.*.com, https://b.com' })).toMatchObject({ allowOrigins: ['https://b.com'], skippedOrigins: ['https://a.*.com'] });
  });

  it('checks methods twice: without spaces, then as written (parser.ValidateRegex removeSpace, then corsMethodsRegex)', () => {
    expect(corsAllowMethods.parse(' GET, PUT ')).toEqual({ ok: true, value: 'GET, PUT' });
    expect(corsAllowMethods.parse('GET POST')).toEqual({ ok: true, value: 'GET POST' });
    expect(corsAllowMethods.parse('GET,  PUT')).toMatchObject({ ok: false });
    expect(corsAllowMethods.parse('GET , PUT')).toMatchObject({ ok: false });
    expect(corsAllowMethods.parse('GET,\nPUT')).toMatchObject({ ok: false });
  });

  it('accepts header lists with letters, digits, - and _ (parser.HeadersVariable)', () => {
    expect(corsAllowHeaders.parse('X-app123-XPTO, X_Under')).toEqual({ ok: true, value: 'X-app123-XPTO, X_Under' });
    expect(corsAllowHeaders.parse('X-A; X-B')).toMatchObject({ ok: false });
    expect(corsAllowHeaders.parse('   ')).toMatchObject({ ok: false });
  });

  it('reads max-age as Go strconv.Atoi does (parser.ValidateInt)', () => {
    expect(corsMaxAge.parse('+5')).toEqual({ ok: true, value: 5 });
    expect(corsMaxAge.parse('-1')).toEqual({ ok: true, value: -1 });
    expect(corsMaxAge.parse('1.5')).toMatchObject({ ok: false });
    expect(corsMaxAge.parse(' 600')).toMatchObject({ ok: false });
    expect(corsMaxAge.parse('99999999999999999999')).toMatchObject({ ok: false });
  });

  it('checks long values in linear time (the RE2 regexes of cors/main.go, rewritten)', () => {
    const started = Date.now();
    expect(corsAllowOrigin.parse(`${'a'.repeat(5000)}!`)).toMatchObject({ ok: false });
    expect(corsAllowMethods.parse(`${'A'.repeat(5000)}$`)).toMatchObject({ ok: false });
    expect(corsExposeHeaders.parse(`${'A'.repeat(5000)}#`)).toMatchObject({ ok: false });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
