import type { NginxAnnotation } from './annotation.js';

/**
 * `custom-headers` (annotations/customheaders/main.go): `NAMESPACE/NAME` of a ConfigMap whose
 * data are headers set on every response of the location (`more_set_headers`, values literal:
 * template.go escapeLiteralDollar). A value the validator refuses (parser.BasicCharsRegex)
 * drops the Ingress; a missing ConfigMap, a bad header name or value, or a header not listed
 * in the controller ConfigMap's global-allowed-response-headers (empty by default) denies the
 * location: it answers 503.
 */
export const customHeaders: NginxAnnotation<string> = {
  name: 'custom-headers',
  doc: 'headers from the ConfigMap NAMESPACE/NAME set on every response; each must be listed in the ConfigMap key global-allowed-response-headers, or the location answers 503',
  parse(value) {
    const compact = value.replace(/\s/g, '');
    return /^[/\-._~a-zA-Z0-9:]*$/.test(compact) ? { ok: true, value: compact } : { ok: false, error: `"${value}" is not a ConfigMap reference`, hint: 'Write NAMESPACE/NAME of a ConfigMap whose data are the headers' };
  },
};

const headerName = /^[a-zA-Z\d\-_]+$/;
const headerValue = /^[a-zA-Z\d_ :;.,\\/"'?!(){}[\]@<>=\-+*#$&`|~^%]+$/;

/** The headers of custom-headers' ConfigMap, sorted by name (Go ranges a map so), or why the location is denied. */
export function resolveCustomHeaders(data: ReadonlyMap<string, string> | null, ref: string, allowed: readonly string[]): { readonly headers: readonly (readonly [string, string])[] } | { readonly denied: string } {
  if (data === null) return { denied: `custom-headers: unable to find configMap "${ref}"` };
  for (const [name, value] of data) {
    if (!headerName.test(name)) return { denied: `custom-headers: header "${name}" has invalid characters` };
    if (!headerValue.test(value)) return { denied: `custom-headers: the value of header "${name}" has invalid characters` };
    if (!allowed.includes(name)) return { denied: `custom-headers: header ${name} is not allowed, defined allowed headers inside global-allowed-response-headers [${allowed.join(' ')}]` };
  }
  return { headers: [...data].toSorted(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)) };
}
