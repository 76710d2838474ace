import type { NginxConfig } from '../model/nginx/config.js';
import type { RoutingProfile } from '../model/types.js';

/**
 * The `Server` header a profile's controller puts on responses whose backend sent none, and on
 * its own error pages. The Ingress conformance suite expects it of every controller
 * (kubernetes-sigs/ingress-controller-conformance, features/default_backend.feature: "the
 * response headers must contain <key> with matching <value>" for Content-Length, Content-Type,
 * Date and Server). ingress-nginx sends none: its `server-tokens` is false by default, and its
 * template then clears the header (`more_clear_headers Server`).
 */
export function serverHeaderOf(profile: RoutingProfile, nginx?: Pick<NginxConfig, 'serverTokens'>): string | null {
  switch (profile) {
    case 'spec':
    case 'gateway':
      return 'ingress-dev';
    case 'nginx':
      // `server-tokens: "true"`: nginx's own header, with the version ingress-nginx v1.15 builds (images/nginx/rootfs/build.sh).
      return nginx?.serverTokens === true ? nginxServerToken : null;
  }
}

export const nginxServerToken = 'nginx/1.27.1';
