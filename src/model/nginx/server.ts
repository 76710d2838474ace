import { createDiagnostic, type Diagnostic } from '../../diagnostics/diagnostic.js';
import type { DefaultBackendRoute, NginxLocation, NginxServer, Route } from '../types.js';
import { nginxAnnotationPrefix } from './annotation.js';
import type { NginxConfig } from './config.js';
import type { NginxAnnotations } from './registry.js';

/**
 * The locations ingress-nginx v1.15 generates for one host, in nginx.conf order. Sources (at
 * controller-v1.15.1):
 * - internal/ingress/controller/controller.go createServers: every server starts with a root
 *   location `/` (Prefix) whose backend is the first Ingress's `spec.defaultBackend`, else the
 *   default backend (404), and which takes that Ingress's annotations;
 * - getBackendServers: a location per (path, pathType), the first Ingress winning a duplicate
 *   (only the root may be replaced); then two stable sorts: by path string descending, then by
 *   path length descending;
 * - location.go updateServerLocations (after the sort): a Prefix path other than `/` whose own
 *   Ingress has no use-regex or rewrite-target gets a trailing slash and, unless an Exact of the
 *   same path exists, an exact twin `= PATH` right after it;
 * - template.go enforceRegexModifier / buildLocation: when any location of the host needs a
 *   rewrite (a rewrite-target other than its path) or has use-regex, every location is
 *   `~* "^PATH"`; otherwise Exact is `= "PATH"` and Prefix `"PATH"`.
 * - internal/k8s/main.go SetDefaultNGINXPathType: ImplementationSpecific and unset are Prefix.
 */

export interface NginxPathInput {
  readonly route: Route;
  readonly annotations: NginxAnnotations;
}

interface Draft {
  /** Its place in ingress-nginx's order of Ingresses and paths (the root first). */
  readonly seq: number;
  readonly path: string;
  readonly pathType: 'Exact' | 'Prefix';
  readonly route: Route | null;
  readonly annotations: NginxAnnotations | null;
  readonly ingress: string | null;
  /** The root location, until a path `/` (Prefix) of an Ingress replaces it. */
  readonly isDefault: boolean;
  readonly name: string;
  readonly note: string | null;
}

/** Whether a location's own Ingress makes it a regex: use-regex, or a rewrite-target other than its path (template.go needsRewrite). */
function ownRegex(d: Draft): string | null {
  const a = d.annotations;
  if (a === null || d.ingress === null) return null;
  if (a.rewriteTarget !== null && a.rewriteTarget !== d.path) return `Ingress ${d.ingress} has ${nginxAnnotationPrefix}rewrite-target: "${a.rewriteTarget}"`;
  if (a.useRegex) return `Ingress ${d.ingress} has ${nginxAnnotationPrefix}use-regex: "true"`;
  return null;
}

/**
 * `paths`: the host's paths in ingress-nginx's order (Ingresses by creationTimestamp, ties by
 * namespace/name descending; paths as written). `first`: the Ingress that named the host first,
 * whose annotations the root location takes. `rootBackend`: its defaultBackend, if any.
 */
export function compileNginxServer(
  paths: readonly NginxPathInput[],
  first: { readonly ingress: string; readonly annotations: NginxAnnotations } | null,
  rootBackend: DefaultBackendRoute | null,
  tls: boolean,
  config: NginxConfig,
  diagnostics: Diagnostic[],
): NginxServer {
  const drafts: Draft[] = [{ seq: 0, path: '/', pathType: 'Prefix', route: null, annotations: first?.annotations ?? null, ingress: first?.ingress ?? null, isDefault: true, name: '/', note: null }];
  for (const { route, annotations } of paths) {
    const path = route.path === '' ? '/' : route.path;
    const pathType = route.pathType === 'Exact' ? 'Exact' : 'Prefix';
    const at = drafts.findIndex((d) => d.path === path && d.pathType === pathType);
    const draft: Draft = { seq: drafts.length + 1, path, pathType, route, annotations, ingress: `${route.ingress.namespace}/${route.ingress.name}`, isDefault: false, name: path, note: null };
    if (at === -1) drafts.push(draft);
    else if (drafts[at]?.isDefault === true) drafts[at] = draft; // a path `/` takes over the root
    // else: the older Ingress keeps the path ("Location already configured"); compile reports duplicates.
  }
  // Two stable sorts, as getBackendServers: path string descending, then length descending.
  const sorted = drafts.toSorted((a, b) => (a.path > b.path ? -1 : a.path < b.path ? 1 : 0)).toSorted((a, b) => b.path.length - a.path.length);

  const withTwins: Draft[] = [];
  for (const d of sorted) {
    if (d.path === '/' || d.pathType !== 'Prefix' || ownRegex(d) !== null) {
      withTwins.push(d);
      continue;
    }
    const name = d.path.endsWith('/') ? d.path : `${d.path}/`;
    withTwins.push({ ...d, name });
    if (!sorted.some((x) => x.pathType === 'Exact' && x.path === d.path)) {
      withTwins.push({ ...d, pathType: 'Exact', name: d.path, note: `the exact twin of Prefix ${d.path}, so that ${d.path} itself matches` });
    }
  }

  const regexBecause = withTwins.map(ownRegex).find((why) => why !== null) ?? null;
  const regex = regexBecause !== null;
  const locations: NginxLocation[] = [];
  /** Each location's place in ingress-nginx's order (`Draft.seq`), to keep the older of two alike. */
  const seqs: number[] = [];
  /** Static locations by modifier and name: nginx refuses two alike, and the older path keeps it. */
  const seen = new Map<string, number>();
  /** Paths refused for a duplicate location: their exact twins go with them. */
  const refusedRoutes = new Set<string>();
  for (const d of withTwins) {
    const modifier = regex ? '~*' : d.pathType === 'Exact' ? '=' : '';
    const directive = modifier === '' ? `location "${d.name}"` : modifier === '=' ? `location = "${d.name}"` : `location ~* "^${d.name}"`;
    let compiled: RegExp | null = null;
    if (regex) {
      compiled = nginxRegex(`^${d.name}`);
      if (compiled === null) {
        if (d.route !== null) {
          diagnostics.push(createDiagnostic('E_NGINX_REGEX', 'error', `${d.route.host ?? '(any host)'} ${d.route.path}: not a regular expression ingress-dev can read, so this path is not served`, d.route.source,
            `The host's paths are regular expressions (${regexBecause}). Escape characters such as ( [ { + * ? with a backslash, or write a valid regex; in a cluster nginx would refuse the configuration.`));
        }
        continue;
      }
    }
    const rewriteOf = d.annotations !== null && d.annotations.rewriteTarget !== null && d.annotations.rewriteTarget !== d.path ? d.annotations.rewriteTarget : null;
    const rewriteRegex = rewriteOf === null ? null : nginxRegex(d.path);
    const location: NginxLocation = {
      modifier,
      name: d.name,
      directive,
      route: d.route,
      regex: compiled,
      rewrite: rewriteOf === null || rewriteRegex === null ? null : { regex: rewriteRegex, target: rewriteOf },
      note: d.note,
      annotations: d.annotations,
      ingressPath: d.path,
    };
    if (!regex) {
      const key = `${modifier} ${d.name}`;
      const at = seen.get(key);
      if (at !== undefined) {
        const before = locations[at];
        if (before === undefined) continue;
        // The newer Ingress's path is the one a cluster refuses (its admission, or the reload).
        const olderKept = (seqs[at] ?? 0) <= d.seq;
        const [kept, refused] = olderKept ? [before, location] : [location, before];
        if (!olderKept) seqs[at] = d.seq;
        if (refused.route !== null) refusedRoutes.add(refused.route.id);
        if (refused.route !== null && refused.note === null) {
          diagnostics.push(createDiagnostic('E_NGINX_DUPLICATE_LOCATION', 'error',
            `${refused.route.host ?? '(any host)'} ${refused.route.pathType} ${refused.route.path} becomes ${directive}, which ${kept.route === null ? 'the host already has' : `${kept.route.pathType} ${kept.route.path} (${kept.route.id}) already is`}; nginx refuses a duplicate location, so this path is not served`,
            refused.route.source,
            'ingress-nginx adds a trailing slash to Prefix paths: Prefix /foo and Prefix /foo/ are the same location. Keep one of them (in a cluster, the admission webhook refuses the newer Ingress, or the reload fails).'));
        }
        locations[at] = kept;
        continue;
      }
      seen.set(key, locations.length);
    }
    locations.push(location);
    seqs.push(d.seq);
  }
  const served = locations.filter((l) => l.route === null || !refusedRoutes.has(l.route.id));
  // nginx.tmpl: one `if ($uri = /) { return 302 … }` per location with app-root, at server level: the first wins.
  const appRoot = served.find((l) => l.annotations?.appRoot !== null && l.annotations?.appRoot !== undefined)?.annotations?.appRoot ?? null;
  return { regex, regexBecause, locations: served, rootBackend, appRoot, tls, config };
}

/**
 * A PCRE pattern of nginx as a JavaScript RegExp, case-insensitive (`~*`, `(?i)`). The common
 * syntax is the same; what JavaScript cannot read is reported by the caller.
 */
function nginxRegex(pattern: string): RegExp | null {
  try {
    return new RegExp(pattern, 'i');
  } catch {
    return null;
  }
}
