import type { Profile } from '../model/types.js';

/**
 * The `Server` header a profile's controller puts on responses whose backend sent none, and on
 * its own error pages. The Ingress conformance suite expects it of every controller
 * (kubernetes-sigs/ingress-controller-conformance, features/default_backend.feature: "the
 * response headers must contain <key> with matching <value>" for Content-Length, Content-Type,
 * Date and Server). ingress-nginx sends none: its `server-tokens` is false by default, and its
 * template then clears the header (`more_clear_headers Server`).
 */
export function serverHeaderOf(profile: Profile): string | null {
  switch (profile) {
    case 'spec':
      return 'ingress-dev';
    case 'nginx':
      return null;
  }
}
