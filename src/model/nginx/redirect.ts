import { boolAnnotation, type NginxAnnotation } from './annotation.js';

/**
 * `permanent-redirect`, `temporal-redirect` and their codes, `relative-redirects`
 * (annotations/redirect/redirect.go): the location answers `return CODE URL;` (nginx.tmpl), the
 * URL as written (nothing of the request is added). A temporal redirect wins over a permanent
 * one; a code outside 300–307 (temporal) or 300–308 (permanent) falls back to 302 or 301. URLs
 * are checked with parser.URLIsValidRegex; a value it refuses makes ingress-nginx drop the
 * whole Ingress (annotations.Extract returns the error, store.go skips the Ingress).
 */
const urlCharacters = /^[-._~a-zA-Z0-9/:,?&=]*$/;

export const permanentRedirect: NginxAnnotation<string> = {
  name: 'permanent-redirect',
  doc: 'the location answers with a redirect to this URL (301, or permanent-redirect-code)',
  parse(value) {
    return urlCharacters.test(value) ? { ok: true, value } : { ok: false, error: `"${value}" has characters ingress-nginx does not allow in a redirect URL`, hint: 'Use letters, digits and - . _ ~ / : , ? & = (no %, # or spaces)' };
  },
};

export const temporalRedirect: NginxAnnotation<string> = {
  name: 'temporal-redirect',
  doc: 'the location answers with a redirect to this URL (302, or temporal-redirect-code); wins over permanent-redirect',
  parse: permanentRedirect.parse,
};

function codeAnnotation(name: string, doc: string): NginxAnnotation<number> {
  return {
    name,
    doc,
    parse(value) {
      return /^-?\d+$/.test(value) ? { ok: true, value: Number(value) } : { ok: false, error: `"${value}" is not a number`, hint: 'Write a status code such as "308"' };
    },
  };
}

export const permanentRedirectCode = codeAnnotation('permanent-redirect-code', 'the status of permanent-redirect (300–308, default 301)');
export const temporalRedirectCode = codeAnnotation('temporal-redirect-code', 'the status of temporal-redirect (300–307, default 302)');
export const relativeRedirects = boolAnnotation('relative-redirects', 'redirects nginx makes keep a relative Location (absolute_redirect off)');

/**
 * `from-to-www-redirect` (redirect.go FromToWWW, ValidateBool: a bad value drops the Ingress):
 * on any location of a host, ingress-nginx adds a server for the www. twin (or the bare host of
 * a www. one) that answers `return <http-redirect-code> $redirect_to` (nginx.tmpl;
 * ngx_srv_redirect.lua: scheme://HOST:PORT + $request_uri less one trailing slash), unless an
 * Ingress already names the twin (pkg/util/ingress BuildRedirects).
 */
export const fromToWwwRedirect = boolAnnotation('from-to-www-redirect', 'requests for the www. twin of the host (or the bare host of a www. one) are redirected to it (http-redirect-code, 308)');
