import type { Severity } from '../diagnostics/diagnostic.js';

/**
 * Annotations ingress-dev reads today. Everything else is listed as "not interpreted yet", as a
 * warning when it belongs to an ingress controller (it changes routing in the cluster, so local
 * routing may differ) and as information otherwise.
 */
export const interpretedAnnotations: ReadonlySet<string> = new Set(['kubernetes.io/ingress.class']);

// Bookkeeping written by tools; it never changes routing, so it is not worth a line.
const ignoredPrefixes = [
  'kubectl.kubernetes.io/',
  'meta.helm.sh/',
  'argocd.argoproj.io/',
  'kustomize.toolkit.fluxcd.io/',
  'deployment.kubernetes.io/',
  'kubernetes.io/change-cause',
  'kubernetes.io/description',
];

// Controllers whose annotations change how requests are routed or rewritten.
const controllerPrefixes = [
  'nginx.ingress.kubernetes.io/',
  'nginx.org/',
  'ingress.kubernetes.io/',
  'traefik.ingress.kubernetes.io/',
  'alb.ingress.kubernetes.io/',
  'haproxy.org/',
  'haproxy-ingress.github.io/',
  'konghq.com/',
  'projectcontour.io/',
  'ingress.gcp.kubernetes.io/',
  'kubernetes.io/ingress.global-static-ip-name',
  'appgw.ingress.kubernetes.io/',
];

export function annotationSeverity(key: string): Severity | null {
  if (interpretedAnnotations.has(key)) return null;
  if (ignoredPrefixes.some((p) => key.startsWith(p))) return null;
  return controllerPrefixes.some((p) => key.startsWith(p)) ? 'warning' : 'info';
}
