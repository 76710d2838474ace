import { parseNginxSize } from './body-size.js';

/**
 * The keys of ingress-nginx's controller ConfigMap that the `nginx` profile reads, with the
 * defaults of internal/ingress/controller/config/config.go (docs/user-guide/nginx-configuration/configmap.md).
 */
export interface NginxConfig {
  /** `ssl-redirect`: plain-HTTP requests for a host with TLS go to https://. */
  readonly sslRedirect: boolean;
  /** `force-ssl-redirect`: also for hosts without TLS. */
  readonly forceSslRedirect: boolean;
  /** `preserve-trailing-slash`: keep the trailing slash in that redirect. */
  readonly preserveTrailingSlash: boolean;
  /** `http-redirect-code`: the status of the https:// redirect (301, 302, 307 or 308). */
  readonly httpRedirectCode: number;
  /** `no-tls-redirect-locations`: Ingress paths that start with one of these are never redirected to https://. */
  readonly noTlsRedirectLocations: readonly string[];
  /** `relative-redirects`: nginx keeps relative Locations (absolute_redirect off). */
  readonly relativeRedirects: boolean;
  /** `proxy-body-size`, in bytes (0: no limit): a larger request body gets 413. */
  readonly proxyBodySize: number;
  /**
   * `use-forwarded-headers`: the client's X-Forwarded-Proto/-Port/-Host are trusted (the first
   * X-Forwarded-Host also becomes the upstream Host), and its X-Forwarded-For gives the client address.
   */
  readonly useForwardedHeaders: boolean;
  /** `enable-real-ip`: only the client address comes from X-Forwarded-For. */
  readonly enableRealIp: boolean;
  /** `compute-full-forwarded-for` (with use-forwarded-headers): X-Forwarded-For keeps the client's list and appends the peer. */
  readonly computeFullForwardedFor: boolean;
  /** `server-tokens`: responses carry `Server: nginx/1.27.1` (off: no Server header at all). */
  readonly serverTokens: boolean;
  /** `allow-backend-server-header`: the backend's Server header is passed on (off: hidden). */
  readonly allowBackendServerHeader: boolean;
  /** `hide-headers`: backend response headers removed (lower case). */
  readonly hideHeaders: readonly string[];
  /** `proxy-add-original-uri-header`: the backend receives X-Original-URI. */
  readonly proxyAddOriginalUriHeader: boolean;
  /** `global-allowed-response-headers`: the header names custom-headers may set (exact, case-sensitive). */
  readonly globalAllowedResponseHeaders: readonly string[];
  /** `add-headers`: headers added to every response (from the ConfigMap it names), sorted by name. */
  readonly addHeaders: readonly (readonly [string, string])[];
  /** `proxy-set-headers`: headers sent to every backend (from the ConfigMap it names), sorted by name. */
  readonly proxySetHeaders: readonly (readonly [string, string])[];
  /** `no-auth-locations`: Ingress paths that start with one of these skip basic auth. */
  readonly noAuthLocations: readonly string[];
  /** `allow-cross-namespace-resources`: auth-secret and custom-headers may name another namespace's. */
  readonly allowCrossNamespaceResources: boolean;
}

export const defaultNginxConfig: NginxConfig = {
  sslRedirect: true,
  forceSslRedirect: false,
  preserveTrailingSlash: false,
  httpRedirectCode: 308,
  noTlsRedirectLocations: ['/.well-known/acme-challenge'],
  relativeRedirects: false,
  proxyBodySize: 1024 ** 2,
  useForwardedHeaders: false,
  enableRealIp: false,
  computeFullForwardedFor: false,
  serverTokens: false,
  allowBackendServerHeader: false,
  hideHeaders: [],
  proxyAddOriginalUriHeader: false,
  globalAllowedResponseHeaders: [],
  addHeaders: [],
  proxySetHeaders: [],
  noAuthLocations: ['/.well-known/acme-challenge'],
  allowCrossNamespaceResources: false,
};

/** `annotations-risk-level` (config.go, default High): annotations of a higher risk make ingress-nginx refuse the Ingress. */
export type RiskLevel = 'Low' | 'Medium' | 'High' | 'Critical';

export interface NginxSettings extends NginxConfig {
  readonly annotationsRiskLevel: RiskLevel;
  /** `allow-snippet-annotations` (default false): with it off, snippets are dropped (when the risk level lets them through). */
  readonly allowSnippetAnnotations: boolean;
}

export const defaultNginxSettings: NginxSettings = { ...defaultNginxConfig, annotationsRiskLevel: 'High', allowSnippetAnnotations: false };

/**
 * ConfigMap keys ingress-nginx has but the profile does not emulate yet: accepted, with a
 * warning that local routing ignores them (docs/user-guide/nginx-configuration/configmap.md).
 */
const notEmulatedKeys: ReadonlySet<string> = new Set([
  'forwarded-for-header', 'proxy-real-ip-cidr', 'hsts', 'hsts-max-age',
  'hsts-include-subdomains', 'hsts-preload', 'enable-cors', 'custom-http-errors', 'use-http2', 'proxy-connect-timeout', 'proxy-read-timeout', 'proxy-send-timeout',
  'client-body-buffer-size', 'limit-req-status-code', 'block-cidrs', 'block-user-agents', 'block-referers', 'whitelist-source-range',
  'use-port-in-redirects', 'global-auth-url', 'enable-underscores-in-headers', 'ignore-invalid-headers', 'proxy-buffering', 'proxy-request-buffering',
]);

/** The keys parseNginxSettings reads, for hints. */
export const readNginxKeys: readonly string[] = [
  'ssl-redirect', 'force-ssl-redirect', 'preserve-trailing-slash', 'http-redirect-code', 'no-tls-redirect-locations', 'relative-redirects', 'proxy-body-size',
  'annotations-risk-level', 'allow-snippet-annotations', 'use-forwarded-headers', 'enable-real-ip', 'compute-full-forwarded-for', 'server-tokens',
  'allow-backend-server-header', 'hide-headers', 'proxy-add-original-uri-header', 'global-allowed-response-headers', 'add-headers', 'proxy-set-headers',
  'no-auth-locations', 'allow-cross-namespace-resources',
];

/** Finds a ConfigMap of the folder by `NAMESPACE/NAME`: its data, or null. */
export type ConfigMapLookup = (ref: string) => ReadonlyMap<string, string> | null;

/** What parsing the `nginx:` map found: the settings, and one problem per key it could not use. */
export interface ParsedNginxSettings {
  readonly settings: NginxSettings;
  readonly problems: readonly { readonly severity: 'error' | 'warning'; readonly key: string; readonly message: string; readonly hint: string; readonly at: { readonly file: string; readonly line: number; readonly col: number } }[];
}

/**
 * The ConfigMap keys of `nginx:` in ingress-dev.yaml, checked as ingress-nginx reads them
 * (config.go; template/configmap.go ReadConfig): a value it cannot read keeps the default.
 */
export function parseNginxSettings(
  entries: readonly { readonly key: string; readonly value: string; readonly at: { readonly file: string; readonly line: number; readonly col: number } }[],
  options: { readonly base?: NginxSettings; readonly label?: string; readonly configMaps?: ConfigMapLookup } = {},
): ParsedNginxSettings {
  const settings: { -readonly [K in keyof NginxSettings]: NginxSettings[K] } = { ...(options.base ?? defaultNginxSettings) };
  // `nginx.ssl-redirect` for ingress-dev.yaml; `ConfigMap ingress-nginx/ingress-nginx-controller: ssl-redirect` for the folder's.
  const label = options.label ?? 'nginx.';
  const problems: ParsedNginxSettings['problems'][number][] = [];
  const bad = (key: string, at: ParsedNginxSettings['problems'][number]['at'], message: string, hint: string) => problems.push({ severity: 'error', key, message, hint, at });
  const bool = (key: string, value: string, at: ParsedNginxSettings['problems'][number]['at']): boolean | null => {
    const v = value.toLowerCase();
    if (v === 'true') return true;
    if (v === 'false') return false;
    bad(key, at, `${label}${key} "${value}" is not true or false; the default is kept`, `Write ${key}: "true" or "false"`);
    return null;
  };
  for (const { key, value, at } of entries) {
    switch (key) {
      case 'ssl-redirect': settings.sslRedirect = bool(key, value, at) ?? settings.sslRedirect; break;
      case 'force-ssl-redirect': settings.forceSslRedirect = bool(key, value, at) ?? settings.forceSslRedirect; break;
      case 'preserve-trailing-slash': settings.preserveTrailingSlash = bool(key, value, at) ?? settings.preserveTrailingSlash; break;
      case 'relative-redirects': settings.relativeRedirects = bool(key, value, at) ?? settings.relativeRedirects; break;
      case 'allow-snippet-annotations': settings.allowSnippetAnnotations = bool(key, value, at) ?? settings.allowSnippetAnnotations; break;
      case 'http-redirect-code': {
        // template/configmap.go: only 301, 302, 307 and 308 are taken; anything else keeps 308.
        const code = Number(value);
        if ([301, 302, 307, 308].includes(code)) settings.httpRedirectCode = code;
        else bad(key, at, `${label}http-redirect-code "${value}" is not 301, 302, 307 or 308; 308 is kept`, 'Write http-redirect-code: "301"');
        break;
      }
      case 'no-tls-redirect-locations':
        settings.noTlsRedirectLocations = value.split(',').map((p) => p.trim()).filter((p) => p !== '');
        break;
      case 'proxy-body-size': {
        const bytes = parseNginxSize(value);
        if (bytes === null) bad(key, at, `${label}proxy-body-size "${value}" is not a size; 1m is kept`, 'Write a size such as 8m, 512k or 0 (no limit)');
        else settings.proxyBodySize = bytes;
        break;
      }
      case 'use-forwarded-headers': settings.useForwardedHeaders = bool(key, value, at) ?? settings.useForwardedHeaders; break;
      case 'enable-real-ip': settings.enableRealIp = bool(key, value, at) ?? settings.enableRealIp; break;
      case 'compute-full-forwarded-for': settings.computeFullForwardedFor = bool(key, value, at) ?? settings.computeFullForwardedFor; break;
      case 'server-tokens': settings.serverTokens = bool(key, value, at) ?? settings.serverTokens; break;
      case 'allow-backend-server-header': settings.allowBackendServerHeader = bool(key, value, at) ?? settings.allowBackendServerHeader; break;
      case 'proxy-add-original-uri-header': settings.proxyAddOriginalUriHeader = bool(key, value, at) ?? settings.proxyAddOriginalUriHeader; break;
      // template/configmap.go: comma lists, trimmed; empty entries dropped.
      case 'no-auth-locations': settings.noAuthLocations = splitList(value); break;
      case 'allow-cross-namespace-resources': settings.allowCrossNamespaceResources = bool(key, value, at) ?? settings.allowCrossNamespaceResources; break;
      case 'hide-headers': settings.hideHeaders = splitList(value).map((h) => h.toLowerCase()); break;
      case 'global-allowed-response-headers': settings.globalAllowedResponseHeaders = splitList(value).filter((h) => /^[a-zA-Z\d\-_]+$/.test(h)); break;
      case 'add-headers':
      case 'proxy-set-headers': {
        // controller/nginx.go: the value names another ConfigMap, whose data are the headers (a missing one: none, with a warning there).
        const data = options.configMaps?.(value.includes('/') ? value : `default/${value}`) ?? null;
        if (data === null) {
          problems.push({ severity: 'warning', key, message: `${label}${key} names ConfigMap ${value}, which is not in the folder; no headers are ${key === 'add-headers' ? 'added to responses' : 'sent to backends'}`, hint: 'Add the ConfigMap (NAMESPACE/NAME) to the folder; its data are the headers', at });
          break;
        }
        const headers = [...data].toSorted(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        if (key === 'add-headers') settings.addHeaders = headers;
        else settings.proxySetHeaders = headers;
        break;
      }
      case 'annotations-risk-level':
        if (value === 'Low' || value === 'Medium' || value === 'High' || value === 'Critical') settings.annotationsRiskLevel = value;
        else bad(key, at, `${label}annotations-risk-level "${value}" is not Low, Medium, High or Critical; High is kept`, 'Write annotations-risk-level: Critical');
        break;
      default:
        problems.push(notEmulatedKeys.has(key)
          ? { severity: 'warning', key, message: `${label}${key} is not emulated: local routing ignores it`, hint: 'README lists the ConfigMap keys the nginx profile reads', at }
          : { severity: 'warning', key, message: `${label}${key} is not a ConfigMap key the nginx profile knows; it is ignored`, hint: `Keys read: ${readNginxKeys.join(', ')}`, at });
    }
  }
  return { settings, problems };
}

function splitList(value: string): string[] {
  return value.split(',').map((p) => p.trim()).filter((p) => p !== '');
}
