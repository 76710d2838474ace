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
}

export const defaultNginxConfig: NginxConfig = {
  sslRedirect: true,
  forceSslRedirect: false,
  preserveTrailingSlash: false,
  httpRedirectCode: 308,
  noTlsRedirectLocations: ['/.well-known/acme-challenge'],
  relativeRedirects: false,
  proxyBodySize: 1024 ** 2,
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
  'use-forwarded-headers', 'server-tokens', 'compute-full-forwarded-for', 'forwarded-for-header', 'add-headers', 'proxy-set-headers', 'hsts', 'hsts-max-age',
  'hsts-include-subdomains', 'hsts-preload', 'enable-cors', 'custom-http-errors', 'use-http2', 'proxy-connect-timeout', 'proxy-read-timeout', 'proxy-send-timeout',
  'client-body-buffer-size', 'limit-req-status-code', 'block-cidrs', 'block-user-agents', 'block-referers', 'whitelist-source-range', 'allow-backend-server-header',
  'use-port-in-redirects', 'global-auth-url', 'enable-underscores-in-headers', 'ignore-invalid-headers', 'proxy-buffering', 'proxy-request-buffering',
]);

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
  options: { readonly base?: NginxSettings; readonly label?: string } = {},
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
      case 'annotations-risk-level':
        if (value === 'Low' || value === 'Medium' || value === 'High' || value === 'Critical') settings.annotationsRiskLevel = value;
        else bad(key, at, `${label}annotations-risk-level "${value}" is not Low, Medium, High or Critical; High is kept`, 'Write annotations-risk-level: Critical');
        break;
      default:
        problems.push(notEmulatedKeys.has(key)
          ? { severity: 'warning', key, message: `${label}${key} is not emulated: local routing ignores it`, hint: 'README lists the ConfigMap keys the nginx profile reads', at }
          : { severity: 'warning', key, message: `${label}${key} is not a ConfigMap key the nginx profile knows; it is ignored`, hint: 'Keys read: ssl-redirect, force-ssl-redirect, preserve-trailing-slash, http-redirect-code, no-tls-redirect-locations, relative-redirects, proxy-body-size, annotations-risk-level, allow-snippet-annotations', at });
    }
  }
  return { settings, problems };
}
