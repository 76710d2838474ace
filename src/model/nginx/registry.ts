import { createDiagnostic, type Diagnostic } from '../../diagnostics/diagnostic.js';
import type { Ingress } from '../../manifest/types.js';
import { nginxAnnotationPrefix, type NginxAnnotation } from './annotation.js';
import { appRoot } from './app-root.js';
import { defaultNginxSettings, type NginxSettings } from './config.js';
import { proxyBodySize } from './body-size.js';
import { fromToWwwRedirect, permanentRedirect, permanentRedirectCode, relativeRedirects, temporalRedirect, temporalRedirectCode } from './redirect.js';
import { rewriteTarget } from './rewrite-target.js';
import { forceSslRedirect, preserveTrailingSlash, sslRedirect } from './ssl-redirect.js';
import { upstreamVhost, xForwardedPrefix } from './upstream.js';
import { useRegex } from './use-regex.js';
import { customHeaders } from './custom-headers.js';
import { backendProtocol, clientBodyBufferSize, defaultBackendService, serviceUpstream, type BackendProtocol } from './backend.js';
import type { ServiceBackend } from '../types.js';
import { accessDeniesLocation, accessDropsIngress, nginxAccessAnnotations, noNginxAccess, readNginxAccess, type NginxAccess } from './access.js';
import { corsAnnotations, readNginxCors, type NginxCors } from './cors.js';
import { canaryAnnotations, canarySettingsWithoutCanary, readNginxCanary, type NginxCanary } from './canary.js';
import { affinityAnnotations, affinityMode, readAffinityCanaryBehavior, readNginxAffinity, type NginxAffinity } from './affinity.js';

/** The emulated annotations of one Ingress, read and checked. null: not set (or not valid). */
export interface NginxAnnotations {
  readonly useRegex: boolean;
  readonly rewriteTarget: string | null;
  readonly appRoot: string | null;
  /** `return CODE URL;`: temporal-redirect, else permanent-redirect, with their codes. */
  readonly redirect: { readonly url: string; readonly code: number } | null;
  readonly relativeRedirects: boolean;
  /** null: the ConfigMap's `ssl-redirect` (true). */
  readonly sslRedirect: boolean | null;
  /** null: the ConfigMap's `force-ssl-redirect` (false). */
  readonly forceSslRedirect: boolean | null;
  /** null: the ConfigMap's `preserve-trailing-slash` (false). */
  readonly preserveTrailingSlash: boolean | null;
  readonly xForwardedPrefix: string | null;
  readonly upstreamVhost: string | null;
  /** Bytes (0: no limit); null: the ConfigMap's `proxy-body-size` (1m). */
  readonly proxyBodySize: number | null;
  /** enable-cors and the cors-* annotations; null: CORS is off. */
  readonly cors: NginxCors | null;
  /** Source ranges, basic auth and satisfy. */
  readonly access: NginxAccess;
  /** The users of auth-secret (compile reads the Secret); null when there is no basic auth. */
  readonly authUsers: ReadonlyMap<string, string> | null;
  /** `canary: "true"` and its traffic policy: the Ingress serves nothing itself, its backend is the canary of the main one. */
  readonly canary: NginxCanary | null;
  /** from-to-www-redirect: the host's www. twin (or bare twin) redirects to it. */
  readonly fromToWww: boolean;
  /** custom-headers: the ConfigMap reference as written, and (after compile reads it) the headers set on responses. */
  readonly customHeadersRef: string | null;
  readonly customHeaders: readonly (readonly [string, string])[];
  readonly backendProtocol: BackendProtocol;
  /** default-backend as written, and (after compile finds the Service) its first port. */
  readonly defaultBackendName: string | null;
  readonly defaultBackend: ServiceBackend | null;
  /** `affinity: cookie` and its session-cookie-* settings; null without it. */
  readonly affinity: NginxAffinity | null;
  /** affinity-mode as written, whatever `affinity` says (the first Ingress of a backend that sets it decides, controller.go). */
  readonly affinityMode: 'balanced' | 'persistent' | null;
  /** affinity-canary-behavior, read on a canary Ingress. */
  readonly affinityCanaryBehavior: 'sticky' | 'legacy';
}

export const noNginxAnnotations: NginxAnnotations = {
  useRegex: false,
  rewriteTarget: null,
  appRoot: null,
  redirect: null,
  relativeRedirects: false,
  sslRedirect: null,
  forceSslRedirect: null,
  preserveTrailingSlash: null,
  xForwardedPrefix: null,
  upstreamVhost: null,
  proxyBodySize: null,
  cors: null,
  access: noNginxAccess,
  authUsers: null,
  canary: null,
  fromToWww: false,
  customHeadersRef: null,
  customHeaders: [],
  backendProtocol: 'HTTP',
  defaultBackendName: null,
  defaultBackend: null,
  affinity: null,
  affinityMode: null,
  affinityCanaryBehavior: 'sticky',
};

/** Every annotation the `nginx` profile emulates. */
export const nginxAnnotations: readonly NginxAnnotation<unknown>[] = [
  useRegex, rewriteTarget, appRoot, permanentRedirect, permanentRedirectCode, temporalRedirect, temporalRedirectCode, relativeRedirects,
  sslRedirect, forceSslRedirect, preserveTrailingSlash, xForwardedPrefix, upstreamVhost, proxyBodySize,
  fromToWwwRedirect, customHeaders, backendProtocol, serviceUpstream, clientBodyBufferSize, defaultBackendService, ...corsAnnotations, ...nginxAccessAnnotations, ...canaryAnnotations,
  ...affinityAnnotations,
];

export const emulatedAnnotationKeys: ReadonlySet<string> = new Set(nginxAnnotations.map((a) => `${nginxAnnotationPrefix}${a.name}`));

/**
 * What a value ingress-nginx refuses does there: most parsers fall back to the default (the
 * annotation is ignored); those of redirect, x-forwarded-prefix and upstream-vhost return the
 * error, and annotations.Extract's error makes the store skip the whole Ingress.
 */
const dropsIngress: ReadonlySet<string> = new Set([...[defaultBackendService, clientBodyBufferSize, customHeaders, fromToWwwRedirect, permanentRedirect, temporalRedirect, permanentRedirectCode, temporalRedirectCode, relativeRedirects, xForwardedPrefix, upstreamVhost].map((a) => a.name), ...accessDropsIngress]);

/**
 * Annotations of risk Critical (their parsers' `Risk: parser.AnnotationRiskCritical`: the
 * snippets). With the default `annotations-risk-level: High` (config.go), annotations.Extract
 * refuses an Ingress that carries one (`NewRiskyAnnotations`), and the store does not serve it.
 */
export const criticalAnnotations: ReadonlySet<string> = new Set(['auth-snippet', 'configuration-snippet', 'modsecurity-snippet', 'server-snippet', 'stream-snippet'].map((n) => `${nginxAnnotationPrefix}${n}`));

export interface ParsedNginxAnnotations {
  readonly annotations: NginxAnnotations;
  /** Set when ingress-nginx would not serve the Ingress at all, with why. */
  readonly dropped: string | null;
}

/** Reads the emulated annotations of an Ingress; a bad value is an error, with what ingress-nginx does about it. */
export function parseNginxAnnotations(ing: Ingress, diagnostics: Diagnostic[], settings: Pick<NginxSettings, 'annotationsRiskLevel'> = defaultNginxSettings): ParsedNginxAnnotations {
  const subject = `Ingress ${ing.metadata.namespace}/${ing.metadata.name}`;
  let dropped: string | null = null;
  for (const [key, value] of ing.metadata.annotations) {
    if (!criticalAnnotations.has(key) || settings.annotationsRiskLevel === 'Critical') continue;
    dropped ??= `${key} is a Critical-risk annotation`;
    diagnostics.push(createDiagnostic('E_ANNOTATION_RISK', 'error',
      `${subject}: ${key} is a Critical-risk annotation: ingress-nginx (annotations-risk-level High, its default) does not serve this Ingress at all, and neither does ingress-dev`,
      value.at, 'Remove the snippet (most have an annotation of their own, such as custom-headers), or the cluster needs annotations-risk-level: Critical and allow-snippet-annotations: "true" in the controller ConfigMap'));
  }
  // Each annotation is read (and its bad value told) once, however many settings ask for it.
  const readOnce = new Map<string, unknown>();
  const read = <T>(a: NginxAnnotation<T>): T | null => {
    if (readOnce.has(a.name)) return readOnce.get(a.name) as T | null;
    const value = readValue(a);
    readOnce.set(a.name, value);
    return value;
  };
  const readValue = <T>(a: NginxAnnotation<T>): T | null => {
    const key = `${nginxAnnotationPrefix}${a.name}`;
    const written = ing.metadata.annotations.get(key);
    // parser/validators.go: an empty value is not checked, and means "not set".
    if (written === undefined || written.value === '') return null;
    const parsed = a.parse(written.value);
    if (parsed.ok) return parsed.value;
    const drops = dropsIngress.has(a.name);
    if (drops) dropped ??= `${key} ${parsed.error}`;
    // A refused source range or auth-secret is a LocationDenied: every path of the Ingress answers 503.
    const effect = drops
      ? 'ingress-nginx does not serve this Ingress at all, and neither does ingress-dev'
      : accessDeniesLocation.has(a.name)
        ? 'ingress-nginx answers 503 on every path of this Ingress, and so does ingress-dev'
        : a.name === backendProtocol.name
          ? 'ingress-nginx uses HTTP, and so does ingress-dev'
          : 'ingress-nginx ignores it, and so does ingress-dev';
    diagnostics.push(createDiagnostic('E_ANNOTATION_VALUE', 'error', `${subject}: ${key} ${parsed.error}; ${effect}`, written.at, parsed.hint));
    return null;
  };
  const regex = read(useRegex) ?? false;
  read(serviceUpstream);
  read(clientBodyBufferSize);
  const target = read(rewriteTarget);
  const temporal = read(temporalRedirect);
  const temporalCode = read(temporalRedirectCode);
  const permanent = read(permanentRedirect);
  const permanentCode = read(permanentRedirectCode);
  let redirect: NginxAnnotations['redirect'] = null;
  if (temporal !== null) {
    // redirect.go isValidURL: a temporal redirect must be http(s); otherwise it is left out (no error there).
    if (/^http/i.test(temporal)) redirect = { url: temporal, code: temporalCode !== null && temporalCode >= 300 && temporalCode <= 307 ? temporalCode : 302 };
    else {
      const at = ing.metadata.annotations.get(`${nginxAnnotationPrefix}${temporalRedirect.name}`)?.at ?? ing.metadata.at;
      diagnostics.push(createDiagnostic('E_ANNOTATION_VALUE', 'error', `${subject}: ${nginxAnnotationPrefix}temporal-redirect "${temporal}" is not an http or https URL; ingress-nginx leaves the redirect out, and so does ingress-dev`, at, 'Write an absolute URL such as https://example.com/new'));
    }
  } else if (permanent !== null) {
    redirect = { url: permanent, code: permanentCode !== null && permanentCode >= 300 && permanentCode <= 308 ? permanentCode : 301 };
  }
  return {
    annotations: {
      useRegex: regex,
      rewriteTarget: target,
      appRoot: read(appRoot),
      redirect,
      relativeRedirects: read(relativeRedirects) ?? false,
      sslRedirect: read(sslRedirect),
      forceSslRedirect: read(forceSslRedirect),
      preserveTrailingSlash: read(preserveTrailingSlash),
      xForwardedPrefix: read(xForwardedPrefix),
      upstreamVhost: read(upstreamVhost),
      proxyBodySize: read(proxyBodySize),
      cors: readNginxCors(read),
      access: readNginxAccess(read, (name) => ing.metadata.annotations.get(`${nginxAnnotationPrefix}${name}`)?.value),
      authUsers: null,
      canary: readCanary(read, ing, subject, diagnostics),
      fromToWww: read(fromToWwwRedirect) ?? false,
      customHeadersRef: read(customHeaders),
      customHeaders: [],
      backendProtocol: read(backendProtocol) ?? 'HTTP',
      defaultBackendName: read(defaultBackendService),
      defaultBackend: null,
      affinity: readNginxAffinity(read),
      affinityMode: read(affinityMode),
      affinityCanaryBehavior: readAffinityCanaryBehavior(read),
    },
    dropped,
  };
}

/** canary.Parse: canary settings without `canary: "true"` are "configured but not enabled": logged, and the Ingress is an ordinary one. */
function readCanary(read: <T>(a: NginxAnnotation<T>) => T | null, ing: Ingress, subject: string, diagnostics: Diagnostic[]): NginxCanary | null {
  const policy = readNginxCanary(read);
  if (policy !== null) return policy;
  const set = canarySettingsWithoutCanary(read);
  if (set.length > 0) {
    const at = ing.metadata.annotations.get(`${nginxAnnotationPrefix}${set[0] ?? ''}`)?.at ?? ing.metadata.at;
    diagnostics.push(createDiagnostic('W_CANARY_NOT_ENABLED', 'warning', `${subject}: ${set.join(', ')} ${set.length === 1 ? 'is' : 'are'} set without canary: "true"; ingress-nginx ignores ${set.length === 1 ? 'it' : 'them'} and serves this Ingress as an ordinary one, and so does ingress-dev`, at,
      'Add nginx.ingress.kubernetes.io/canary: "true" to make this Ingress a canary of the Ingress with the same host and path'));
  }
  return null;
}
