import { boolAnnotation } from './annotation.js';

/**
 * `ssl-redirect`, `force-ssl-redirect`, `preserve-trailing-slash` (annotations/rewrite/main.go;
 * the decision in rootfs/etc/nginx/lua/lua_ingress.lua redirect_to_https): a plain-HTTP request
 * for a host with TLS (or any host, forced) gets http-redirect-code (308) to https://. A value
 * that is not a boolean leaves the ConfigMap's default.
 */
export const sslRedirect = boolAnnotation('ssl-redirect', 'plain-HTTP requests for a host with spec.tls are redirected to https:// (default true)');
export const forceSslRedirect = boolAnnotation('force-ssl-redirect', 'plain-HTTP requests are redirected to https:// even without spec.tls (default false)');
export const preserveTrailingSlash = boolAnnotation('preserve-trailing-slash', 'the https:// redirect keeps a trailing slash (default false: one is removed)');
