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
