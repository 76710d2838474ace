import { createDiagnostic, wholeOf, type Diagnostic, type Severity, type SourcePosition } from '../diagnostics/diagnostic.js';
import type { DiagnosticCode } from '../diagnostics/catalogue.js';
import type {
  BackendRef,
  Ingress,
  IngressPath,
  IngressRule,
  ResourceSet,
  Service,
} from '../manifest/types.js';
import { annotationSeverity } from './annotations.js';
import { chooseProfile } from './profile.js';
import { criticalAnnotations, emulatedAnnotationKeys, noNginxAnnotations, parseNginxAnnotations, type NginxAnnotations } from './nginx/registry.js';
import { nginxAnnotationPrefix } from './nginx/annotation.js';
import { parseHtpasswdSecret, resolveNginxAuthSecret } from './nginx/access.js';
import { resolveCustomHeaders } from './nginx/custom-headers.js';
import { knownNginxAnnotations } from './nginx/known-annotations.js';
import { compileNginxServer } from './nginx/server.js';
import { parseNginxSettings, type ConfigMapLookup, type NginxSettings } from './nginx/config.js';
import { configMapLookup, findControllerConfigMap, type ControllerConfigMap } from './nginx/controller-configmap.js';
import { checkHost, isWildcardHost, normalizeRuleHost, suggestHost, type HostProblem } from './host.js';
import { compareRoutesForMatch, compilePathMatch } from './path.js';
import { compileGateway } from './gateway/compile.js';
import type { GatewayTable } from './gateway/types.js';
import type {
  Backend,
  CompileOptions,
  Compiled,
  DefaultBackendRoute,
  HostRoutes,
  NginxBackendAffinity,
  NginxCanaryBackend,
  Profile,
  ProfileChoice,
  Route,
  RouteTable,
  ServiceBackend,
} from './types.js';
import type { NginxCanary } from './nginx/canary.js';
import type { NginxAffinity } from './nginx/affinity.js';

/**
 * Compile the resources of a project into an immutable route table. Never throws for a user's
 * mistake: a broken path or host is left out with a diagnostic, and everything else is served.
 */
export function compileRoutes(resources: ResourceSet, options: CompileOptions): Compiled<RouteTable> {
  const override = options.profile === 'auto' ? null : options.profile;
  const c = new Compilation(resources, override, options.profileSource ?? `--profile ${options.profile}`, options.nginxConfig ?? [], options.implicitGateway ?? false);
  return c.run();
}

interface Ranked {
  readonly ingress: Ingress;
  readonly age: number;
}

class Compilation {
  private readonly diagnostics: Diagnostic[] = [];
  private readonly services = new Map<string, Service>();
  private readonly routes: Route[] = [];
  private readonly defaultBackends: DefaultBackendRoute[] = [];
  /** Each Ingress's profile, by `NAMESPACE/NAME`. */
  private readonly ingressProfiles = new Map<string, ProfileChoice>();
  /** The emulated ingress-nginx annotations of each Ingress the `nginx` profile routes. */
  private readonly nginxAnnotations = new Map<string, NginxAnnotations>();

  /** The controller ConfigMap of the nginx profile (`nginx:` in ingress-dev.yaml, else ingress-nginx's defaults). */
  private readonly nginxSettings: NginxSettings;
  /** The folder's ingress-nginx controller ConfigMap, when it has one. */
  private readonly controllerConfigMap: ControllerConfigMap | null;
  /** Paths of canary Ingresses (nginx profile), merged into the main backends when servers are built. */
  private readonly canaries: { readonly ingress: string; readonly host: string | null; readonly path: string; readonly pathType: string; readonly backend: Backend; readonly policy: NginxCanary; readonly source: SourcePosition }[] = [];
  private canaryCache: ReadonlyMap<string, NginxCanaryBackend> | null = null;
  /** The folder's ConfigMaps, for the annotations and keys that name one. */
  private readonly configMaps: ConfigMapLookup;

  constructor(
    private readonly resources: ResourceSet,
    private readonly override: Profile | null,
    private readonly overrideSource: string,
    nginxConfig: NonNullable<CompileOptions['nginxConfig']>,
    private readonly implicitGateway: boolean,
  ) {
    // The folder's controller ConfigMap first, then `nginx:` of ingress-dev.yaml over it, key by key.
    const controller = findControllerConfigMap(resources.others);
    this.controllerConfigMap = controller;
    const configMaps = configMapLookup(resources.others);
    this.configMaps = configMaps;
    const fromFolder = controller === null ? null : parseNginxSettings(controller.entries, { label: `ConfigMap ${controller.name}: `, configMaps });
    if (controller !== null && fromFolder !== null) {
      const ignored = fromFolder.problems.filter((p) => p.severity === 'warning').map((p) => p.key);
      for (const p of fromFolder.problems) if (p.severity === 'error') this.report('E_CONFIG', 'error', p.message, p.at, p.hint);
      if (ignored.length > 0) {
        this.report('W_CONFIG_UNSUPPORTED', 'warning', `ConfigMap ${controller.name} (the ingress-nginx controller's): ${ignored.join(', ')} ${ignored.length === 1 ? 'is' : 'are'} not emulated; local routing ignores ${ignored.length === 1 ? 'it' : 'them'}`, controller.at,
          'README lists the ConfigMap keys the nginx profile reads; the others change nginx itself (buffers, logs, timeouts), not where requests go');
      }
    }
    const parsed = parseNginxSettings(nginxConfig, { configMaps, ...(fromFolder === null ? {} : { base: fromFolder.settings }) });
    this.nginxSettings = parsed.settings;
    for (const p of parsed.problems) this.report(p.severity === 'error' ? 'E_CONFIG' : 'W_CONFIG_UNSUPPORTED', p.severity, p.message, p.at, p.hint);
    for (const s of resources.services) {
      const key = `${s.metadata.namespace}/${s.metadata.name}`;
      // The loader reports duplicates; the first definition is the one a cluster would keep.
      if (!this.services.has(key)) this.services.set(key, s);
    }
  }

  run(): Compiled<RouteTable> {
    this.checkIngressClasses();
    for (const ing of this.resources.ingresses) {
      this.ingressProfiles.set(`${ing.metadata.namespace}/${ing.metadata.name}`, chooseProfile(ing, this.resources.ingressClasses, this.override, this.overrideSource));
    }
    for (const { ingress, age } of rankByAge(this.resources.ingresses)) this.compileIngress(ingress, age);
    this.reportDuplicates();
    const ingressTable = this.buildTable();
    const gateway = compileGateway({ resources: this.resources, services: this.services, implicitGateway: this.implicitGateway, report: (code, severity, message, at, hint) => this.report(code, severity, message, at, hint) });
    const table = gateway === null ? ingressTable : { ...ingressTable, gateway };
    if (gateway !== null) this.reportHostsOfBothApis(ingressTable, gateway);
    this.canaryByBackend(); // says which canaries attach to nothing, also when no server was built
    if (this.resources.ingresses.length === 0 && this.resources.httpRoutes.length === 0) {
      this.report('I_NO_INGRESS', 'info', 'No Ingress found in this folder', wholeOf('.'),
        'ingress-dev reads every *.yaml and *.yml below the folder; add an Ingress (networking.k8s.io/v1) or point it at another folder.');
    }
    return { value: table, diagnostics: this.diagnostics };
  }

  /**
   * A host that an Ingress rule and an HTTPRoute both name alike (the same precise host, or the
   * same wildcard): one port serves both, so one of them answers: the Ingress (a more specific
   * claim wins, as routing/match.ts decides; a tie goes to the Ingress).
   */
  private reportHostsOfBothApis(ingress: RouteTable, gateway: GatewayTable): void {
    const seen = new Set<string>();
    for (const index of [gateway.http, gateway.https]) {
      for (const group of [...index.exact.values(), ...index.wildcard.values(), ...(index.any === null ? [] : [index.any])]) {
        for (const [key, entries] of [...group.entries.exact.entries(), ...[...group.entries.wildcard.entries()].map(([k, v]) => [`*.${k}`, v] as const)]) {
          if (seen.has(key)) continue;
          const hostRoutes = key.startsWith('*.') ? ingress.wildcardHosts.get(key.slice(2)) : ingress.exactHosts.get(key);
          const first = entries[0];
          const ingressRoute = hostRoutes?.routes[0];
          if (first === undefined || ingressRoute === undefined) continue;
          seen.add(key);
          this.report('W_HOST_BOTH_APIS', 'warning',
            `Host ${key} is served by Ingress ${ingressRoute.ingress.namespace}/${ingressRoute.ingress.name} and by HTTPRoute ${first.rule.route.namespace}/${first.rule.route.name}: on one port the Ingress answers, and the HTTPRoute's rules for ${key} are not used`,
            first.match.source, 'In a cluster two controllers would serve them on two addresses. Keep one of them in the folder, or give the HTTPRoute another hostname to try it locally.');
        }
      }
    }
  }

  private report(code: DiagnosticCode, severity: Severity, message: string, at: SourcePosition, hint: string): void {
    this.diagnostics.push(createDiagnostic(code, severity, message, at, hint));
  }

  private checkIngressClasses(): void {
    const classes = new Set(this.resources.ingressClasses.map((c) => c.metadata.name));
    const defaults = this.resources.ingressClasses.filter((c) => c.isDefault);
    for (const extra of defaults.slice(1)) {
      this.report('W_MULTIPLE_DEFAULT_CLASSES', 'warning',
        `IngressClass ${extra.metadata.name} is marked as the default, and so is ${defaults[0]?.metadata.name ?? ''}`,
        extra.metadata.at,
        'Keep ingressclass.kubernetes.io/is-default-class: "true" on one IngressClass only; the API server refuses new Ingresses without a class when several are default.');
    }
    for (const ing of this.resources.ingresses) {
      const cls = ing.ingressClassName;
      // `nginx` is the class the ingress-nginx chart installs in the cluster: folders rarely hold
      // it, and the profile nginx routes such an Ingress (routes and explain say so).
      if (cls !== null && !classes.has(cls.value) && cls.value !== 'nginx') {
        const known = [...classes];
        this.report('W_INGRESS_CLASS_NOT_FOUND', 'warning',
          `${describe(ing)} names IngressClass "${cls.value}", which is not in this folder; it is served anyway`,
          cls.at,
          known.length > 0
            ? `IngressClasses in this folder: ${known.join(', ')}. In a cluster, an Ingress whose class no controller claims is not served.`
            : `Add an IngressClass named "${cls.value}" to the folder, or ignore this if the cluster provides it (ingress-nginx installs "nginx").`);
      }
    }
  }

  /**
   * Basic auth reads its Secret (auth/main.go): a missing Secret, or one without an htpasswd
   * file, makes every location of the Ingress answer 503 (a LocationDenied), as does a refused
   * source range; each is said once, at the annotation. CORS origins Parse skipped are warned.
   */
  private resolveNginxAccess(ing: Ingress, annotations: NginxAnnotations): NginxAnnotations {
    const subject = `Ingress ${ing.metadata.namespace}/${ing.metadata.name}`;
    const at = (name: string) => ing.metadata.annotations.get(`${nginxAnnotationPrefix}${name}`)?.at ?? ing.metadata.at;
    for (const origin of annotations.cors?.skippedOrigins ?? []) {
      this.report('W_CORS_ORIGIN_SKIPPED', 'warning', `${subject}: cors-allow-origin "${origin}" is not scheme://host[:port], *, or null; ingress-nginx skips it, and so does ingress-dev`, at('cors-allow-origin'),
        'Write each origin with its scheme, such as https://app.example.com or https://*.example.com');
    }
    if (['GRPC', 'GRPCS', 'FCGI'].includes(annotations.backendProtocol)) {
      this.report('W_ANNOTATION_NOT_EMULATED', 'warning', `${subject}: backend-protocol ${annotations.backendProtocol} is not emulated: in the cluster nginx talks ${annotations.backendProtocol === 'FCGI' ? 'FastCGI' : 'gRPC (HTTP/2)'} to the backend; ingress-dev sends HTTP/1.1${annotations.backendProtocol === 'GRPCS' ? ' over TLS' : ''}, which such a backend will likely refuse`, at('backend-protocol'),
        'gRPC backends need HTTP/2 to the backend, which ingress-dev does not have yet; route them with --map to a port that speaks HTTP/1.1, or test them in the cluster');
    }
    let fallback: ServiceBackend | null = null;
    if (annotations.defaultBackendName !== null) {
      const service = this.services.get(`${ing.metadata.namespace}/${annotations.defaultBackendName}`);
      const first = service?.ports[0];
      if (service === undefined || first === undefined) {
        this.report('E_SERVICE_NOT_FOUND', 'error', `${subject}: default-backend names Service "${annotations.defaultBackendName}", which is not in namespace "${ing.metadata.namespace}" (or has no port); ingress-nginx ignores the annotation, and so does ingress-dev`, at('default-backend'),
          'Add the Service to the folder, in the Ingress\'s namespace');
      } else {
        fallback = { kind: 'service', service: service.metadata.name, namespace: service.metadata.namespace, port: first.port, portName: first.name, problem: null };
      }
    }
    let access = annotations.access;
    let users: ReadonlyMap<string, string> | null = null;
    let headers: readonly (readonly [string, string])[] = [];
    const ref = annotations.customHeadersRef;
    if (ref !== null && access.denied === null) {
      const full = ref.includes('/') ? ref : `${ing.metadata.namespace}/${ref}`;
      const resolved = resolveCustomHeaders(this.configMaps(full), full, this.nginxSettings.globalAllowedResponseHeaders);
      if ('denied' in resolved) {
        access = { ...access, denied: resolved.denied };
        this.report('E_ANNOTATION_VALUE', 'error', `${subject}: ${resolved.denied}; ingress-nginx answers 503 on every path of this Ingress, and so does ingress-dev`, at('custom-headers'),
          'Add the ConfigMap to the folder, and list each of its header names in global-allowed-response-headers of the controller ConfigMap (nginx: in ingress-dev.yaml)');
      } else headers = resolved.headers;
    }
    const auth = access.auth;
    if (auth !== null && access.denied === null) {
      const resolved = resolveNginxAuthSecret(auth, ing.metadata.namespace, this.nginxSettings.allowCrossNamespaceResources);
      if ('denied' in resolved) {
        access = { ...access, denied: `auth-secret: ${resolved.denied}` };
      } else {
        const secret = this.resources.others.find((o) => o.resourceKind === 'Secret' && o.apiVersion === 'v1' && o.metadata.namespace === resolved.namespace && o.metadata.name === resolved.name);
        const parsed = secret === undefined ? { error: `Secret ${resolved.namespace}/${resolved.name} is not in the folder`, hint: 'Add the Secret (kubectl create secret generic NAME --from-file=auth --dry-run=client -o yaml) to the folder' } : parseHtpasswdSecret(secret.raw as Parameters<typeof parseHtpasswdSecret>[0], auth.secretType);
        if ('error' in parsed) {
          access = { ...access, denied: `auth-secret: ${parsed.error}` };
          this.report('E_NGINX_AUTH_SECRET', 'error', `${subject}: basic auth cannot read its users: ${parsed.error}; ingress-nginx answers 503 on every path of this Ingress, and so does ingress-dev`, at('auth-secret'), parsed.hint);
          return { ...annotations, access, customHeaders: headers, defaultBackend: fallback };
        }
        users = parsed.users;
      }
    }
    // A refused value was said by the registry; an empty one, or a combination it cannot judge alone, is said here.
    const said = this.diagnostics.some((d) => d.message.startsWith(`${subject}: `) && d.message.includes('answers 503 on every path'));
    if (access.denied !== null && !said) {
      const name = access.denied.split(/[ :]/)[0] ?? 'auth-secret';
      this.report('E_ANNOTATION_VALUE', 'error', `${subject}: ${access.denied}; ingress-nginx answers 503 on every path of this Ingress, and so does ingress-dev`, at(name),
        name === 'auth-secret' ? 'Name a Secret in the Ingress\'s namespace (or set allow-cross-namespace-resources in the controller ConfigMap)' : 'Give a valid value, or remove the annotation');
    }
    return { ...annotations, access, authUsers: users, customHeaders: headers, defaultBackend: fallback };
  }

  private compileIngress(ing: Ingress, age: number): void {
    const ns = ing.metadata.namespace;
    const name = ing.metadata.name;
    if (this.profileOf(ing) === 'nginx') {
      const parsed = parseNginxAnnotations(ing, this.diagnostics, this.nginxSettings);
      this.nginxAnnotations.set(`${ns}/${name}`, parsed.dropped === null ? this.resolveNginxAccess(ing, parsed.annotations) : parsed.annotations);
      // ingress-nginx skips an Ingress whose annotations it cannot extract (store.go).
      if (parsed.dropped !== null) return;
      const cookie = parsed.annotations.affinity;
      if (cookie !== null && cookie.path === null && (parsed.annotations.useRegex || parsed.annotations.rewriteTarget !== null)) {
        const at = ing.metadata.annotations.get(`${nginxAnnotationPrefix}affinity`)?.at ?? ing.metadata.at;
        this.report('W_AFFINITY_COOKIE_PATH', 'warning', `Ingress ${ns}/${name}: affinity: cookie with regex paths and no session-cookie-path; ingress-nginx (which logs "session-cookie-path should be set when use-regex is true") gives the cookie the path as written, regex and all, so browsers send it back only under that literal path, and sessions do not stick elsewhere; ingress-dev does the same`, at,
          'Add nginx.ingress.kubernetes.io/session-cookie-path with the plain path the cookie should cover, such as "/"');
      }
      // A canary makes no server or location of its own (controller.go createServers skips it).
      if (parsed.annotations.canary !== null) return this.collectCanary(ing, parsed.annotations.canary);
    }
    this.checkAnnotations(ing);
    if (ing.defaultBackend !== null) {
      this.defaultBackends.push({
        id: `ingress:${ns}/${name}#default`,
        ingress: { namespace: ns, name },
        backend: this.resolveBackend(ing, ing.defaultBackend),
        source: backendAt(ing.defaultBackend),
        age,
      });
    }
    const ruleHosts = new Set<string>();
    ing.rules.forEach((rule, r) => {
      const host = this.compileHost(ing, rule);
      if (host === undefined) return; // invalid host: the rule is dropped, with a diagnostic
      if (host !== null) ruleHosts.add(host);
      rule.paths.forEach((p, i) => this.compilePath(ing, age, host, p, `ingress:${ns}/${name}#r${r}.p${i}`));
    });
    this.checkTls(ing, ruleHosts);
  }

  /**
   * from-to-www-redirect (pkg/util/ingress BuildRedirects): for each nginx host with the
   * annotation on one of its locations, a server for its www. twin (or its bare host) that
   * redirects everything, unless an Ingress names the twin already.
   */
  private addWwwRedirects(exactHosts: Map<string, HostRoutes>): void {
    // A twin added here is visited too, and skipped: its server has no locations.
    for (const [host, hostRoutes] of exactHosts) {
      const server = hostRoutes.nginx;
      const on = server?.locations.find((l) => l.annotations?.fromToWww === true);
      if (server === undefined || on === undefined) continue;
      const twin = host.startsWith('www.') ? host.slice(4) : `www.${host}`;
      if (exactHosts.has(twin)) continue;
      const because = `from-to-www-redirect on Ingress ${on.route?.ingress.namespace ?? ''}/${on.route?.ingress.name ?? ''}`;
      exactHosts.set(twin, Object.freeze({ host: twin, kind: 'exact', profile: 'nginx', routes: [], nginx: { ...server, locations: [], redirectTo: { host, because } } }));
    }
  }

  /** The paths of a canary Ingress, for mergeAlternativeBackends once every main route is known. */
  private collectCanary(ing: Ingress, policy: NginxCanary): void {
    this.checkAnnotations(ing);
    for (const rule of ing.rules) {
      const host = this.compileHost(ing, rule);
      if (host === undefined) continue;
      for (const p of rule.paths) {
        this.canaries.push({ ingress: `${ing.metadata.namespace}/${ing.metadata.name}`, host, path: p.path.value, pathType: p.pathType.value, backend: this.resolveBackend(ing, p.backend), policy, source: p.at });
      }
    }
  }

  /**
   * controller.go mergeAlternativeBackends: a canary path attaches to the backend of the main
   * Ingress's location with the same host, path (as written) and pathType, unless it is the same
   * Service port; the attachment is per backend, so every location of that backend gets it, and
   * only the first canary (in ingress-nginx's Ingress order) is consulted (balancer.lua).
   * A canary with no such location serves nothing (e2e canary.go: a canary alone gives 404).
   */
  private canaryByBackend(): ReadonlyMap<string, NginxCanaryBackend> {
    if (this.canaryCache !== null) return this.canaryCache;
    const { rank } = this.nginxIngressOrder();
    const attached = new Map<string, NginxCanaryBackend>();
    const ordered = this.canaries.toSorted((a, b) => (rank.get(a.ingress) ?? 0) - (rank.get(b.ingress) ?? 0));
    for (const c of ordered) {
      const main = this.routes.find((r) => r.profile === 'nginx' && r.host === c.host && r.path === c.path && r.pathType === c.pathType);
      if (main === undefined || main.backend.kind !== 'service') {
        this.report('W_CANARY_UNMATCHED', 'warning', `Ingress ${c.ingress}: the canary ${c.host ?? '*'} ${c.pathType} ${c.path} matches no path of a main Ingress; ingress-nginx serves nothing of it, and neither does ingress-dev`, c.source,
          'A canary needs an ordinary Ingress (without canary: "true") with the same host, path and pathType');
        continue;
      }
      const key = backendKey(main.backend);
      if (c.backend.kind === 'service' && backendKey(c.backend) === key) continue;
      if (!attached.has(key)) attached.set(key, { backend: c.backend, policy: c.policy, ingress: c.ingress, source: c.source });
    }
    this.canaryCache = attached;
    return attached;
  }

  /** null: a rule without host. undefined: an invalid host (reported). */
  private compileHost(ing: Ingress, rule: IngressRule): string | null | undefined {
    if (rule.host === null || rule.host.value === '') return null;
    const problem = checkHost(rule.host.value);
    if (problem !== null) {
      this.report('E_HOST_INVALID', 'error', `${describe(ing)}: host "${rule.host.value}" ${hostProblemText(problem)}; this rule is not served`,
        rule.host.at, hostProblemHint(problem, rule.host.value));
      return undefined;
    }
    return normalizeRuleHost(rule.host.value);
  }

  private profileOf(ing: Ingress): Profile {
    return this.ingressProfiles.get(`${ing.metadata.namespace}/${ing.metadata.name}`)?.profile ?? 'spec';
  }

  private compilePath(ing: Ingress, age: number, host: string | null, p: IngressPath, id: string): void {
    const path = p.path.value;
    const pathType = p.pathType.value;
    const pathProblem = checkPath(path, pathType);
    if (pathProblem !== null) {
      this.report('E_PATH_INVALID', 'error', `${describe(ing)}: path "${path}" ${pathProblem.message}; this path is not served`,
        p.path.at, pathProblem.hint);
      return;
    }
    const profile = this.profileOf(ing);
    this.routes.push({
      id,
      ingress: { namespace: ing.metadata.namespace, name: ing.metadata.name },
      profile,
      host,
      hostKind: host === null ? 'any' : isWildcardHost(host) ? 'wildcard' : 'exact',
      path,
      pathType,
      ...compilePathMatch(path, pathType, profile),
      backend: this.resolveBackend(ing, p.backend),
      source: p.at,
      age,
    });
  }

  private resolveBackend(ing: Ingress, ref: BackendRef): Backend {
    const ns = ing.metadata.namespace;
    if (ref.type === 'resource') {
      this.report('W_RESOURCE_BACKEND', 'warning',
        `${describe(ing)}: resource backend ${ref.apiGroup ?? 'core'}/${ref.kind} "${ref.name}" cannot be served locally; requests to it get 503`,
        ref.at, 'Resource backends (for example a storage bucket) exist only in a cluster. Use a Service backend to route locally.');
      return { kind: 'resource', apiGroup: ref.apiGroup, resourceKind: ref.kind, name: ref.name, namespace: ns,
        problem: `resource backend ${ref.kind} "${ref.name}" is not supported locally` };
    }
    const svcName = ref.name.value;
    const written = ref.port.value;
    const service = this.services.get(`${ns}/${svcName}`);
    const base = { kind: 'service' as const, service: svcName, namespace: ns };
    const writtenPort = { port: 'number' in written ? written.number : null, portName: 'name' in written ? written.name : null };
    if (service === undefined) {
      const inNs = this.resources.services.filter((s) => s.metadata.namespace === ns).map((s) => s.metadata.name);
      const elsewhere = this.resources.services.filter((s) => s.metadata.name === svcName).map((s) => s.metadata.namespace);
      const near = closest(svcName, inNs);
      const hint = [
        near !== null ? `Did you mean "${near}"?` : null,
        elsewhere.length > 0 ? `A Service "${svcName}" exists in namespace ${elsewhere.join(', ')}; an Ingress can only use Services of its own namespace ("${ns}").` : null,
        inNs.length > 0 ? `Services in namespace "${ns}": ${inNs.join(', ')}.` : `No Service is defined in namespace "${ns}"; add one with a port matching the backend.`,
      ].filter((x) => x !== null).join(' ');
      this.report('E_SERVICE_NOT_FOUND', 'error', `${describe(ing)}: Service "${svcName}" not found in namespace "${ns}"`, ref.name.at, hint);
      return { ...base, ...writtenPort, problem: `Service ${ns}/${svcName} not found` };
    }
    const found = 'number' in written
      ? service.ports.find((sp) => sp.port === written.number)
      : service.ports.find((sp) => sp.name === written.name);
    if (found !== undefined) return { ...base, port: found.port, portName: found.name, problem: null };
    // An ExternalName Service without ports forwards to the external host on the port written.
    if (service.type === 'ExternalName' && service.ports.length === 0 && 'number' in written) {
      return { ...base, port: written.number, portName: null, problem: null };
    }
    const listed = service.ports.map((sp) => (sp.name !== null ? `${sp.port} (${sp.name})` : `${sp.port}`));
    const wanted = 'number' in written ? `number ${written.number}` : `name "${written.name}"`;
    const byTarget = 'number' in written ? service.ports.find((sp) => sp.targetPort === written.number) : undefined;
    const hint = [
      listed.length > 0 ? `Service ${svcName} has ports: ${listed.join(', ')}.` : `Service ${svcName} defines no ports.`,
      byTarget !== undefined ? `${byTarget.targetPort} is the targetPort of port ${byTarget.port}: an Ingress names the Service port, not the container port.` : null,
    ].filter((x) => x !== null && x !== '').join(' ');
    this.report('E_SERVICE_PORT_NOT_FOUND', 'error', `${describe(ing)}: Service "${svcName}" has no port with ${wanted}`, ref.port.at, hint);
    return { ...base, ...writtenPort, problem: `Service ${ns}/${svcName} has no port ${'number' in written ? written.number : written.name}` };
  }

  private checkAnnotations(ing: Ingress): void {
    const choice = this.ingressProfiles.get(`${ing.metadata.namespace}/${ing.metadata.name}`);
    for (const [key, value] of ing.metadata.annotations) {
      if (key.startsWith(nginxAnnotationPrefix)) {
        this.checkNginxAnnotation(ing, key, value.at, choice ?? null);
        continue;
      }
      const severity = annotationSeverity(key);
      if (severity === null) continue;
      if (severity === 'warning') {
        this.report('W_UNKNOWN_ANNOTATION', 'warning', `${describe(ing)}: annotation ${key} is not interpreted; local routing may differ from the cluster`,
          value.at, 'ingress-dev emulates the Kubernetes Ingress specification (profile spec) and ingress-nginx (profile nginx); other controllers\' annotations are ignored.');
      } else {
        this.report('I_ANNOTATION_IGNORED', 'info', `${describe(ing)}: annotation ${key} is not read by ingress-dev`, value.at, 'It does not change local routing.');
      }
    }
  }

  /**
   * An ingress-nginx annotation: on an Ingress of the nginx profile, emulated (nothing to say),
   * known but not emulated (what the cluster does that ingress-dev does not), or not one of
   * ingress-nginx's (a typo: the closest key); on another profile's Ingress, without effect.
   */
  private checkNginxAnnotation(ing: Ingress, key: string, at: SourcePosition, choice: ProfileChoice | null): void {
    const name = key.slice(nginxAnnotationPrefix.length);
    const known = knownNginxAnnotations.find((a) => a.name === name);
    if (choice?.profile !== 'nginx') {
      if (known === undefined) return this.reportUnknownNginxAnnotation(ing, key, name, at);
      this.report('W_ANNOTATION_OTHER_PROFILE', 'warning',
        `${describe(ing)}: ${key} has no effect here: this Ingress is routed by the Kubernetes specification (${choice?.why ?? 'no class'})`, at,
        'If ingress-nginx serves this Ingress in the cluster, give it ingressClassName: nginx (or run with --profile nginx) to route it as ingress-nginx does.');
      return;
    }
    if (emulatedAnnotationKeys.has(key)) return;
    if (criticalAnnotations.has(key)) {
      // Refused with the Ingress (E_ANNOTATION_RISK) below risk level Critical; at Critical,
      // dropped unless allow-snippet-annotations (controller.go dropSnippetDirectives).
      if (this.nginxSettings.annotationsRiskLevel !== 'Critical') return;
      if (!this.nginxSettings.allowSnippetAnnotations) {
        this.report('W_ANNOTATION_NOT_EMULATED', 'warning', `${describe(ing)}: ${key} is dropped by ingress-nginx (allow-snippet-annotations is false)`, at, 'Set allow-snippet-annotations: "true" under nginx: for the cluster to use it (ingress-dev does not emulate snippets either way)');
        return;
      }
    }
    if (known === undefined) return this.reportUnknownNginxAnnotation(ing, key, name, at);
    this.report('W_ANNOTATION_NOT_EMULATED', 'warning',
      `${describe(ing)}: ${key} is not emulated: in the cluster ingress-nginx ${known.does}; ingress-dev does not`, at,
      'Local routing differs from the cluster for what this annotation does; README lists what the nginx profile emulates.');
  }

  private reportUnknownNginxAnnotation(ing: Ingress, key: string, name: string, at: SourcePosition): void {
    const near = closest(name, knownNginxAnnotations.map((a) => a.name));
    this.report('W_UNKNOWN_ANNOTATION', 'warning', `${describe(ing)}: ${key} is not an ingress-nginx annotation; ingress-nginx ignores it`, at,
      near !== null ? `Did you mean ${nginxAnnotationPrefix}${near}?` : 'Check the spelling against ingress-nginx\'s annotations (docs/user-guide/nginx-configuration/annotations.md).');
  }

  private checkTls(ing: Ingress, ruleHosts: ReadonlySet<string>): void {
    for (const tls of ing.tls) {
      for (const h of tls.hosts) {
        const host = normalizeRuleHost(h.value);
        const used = ruleHosts.has(host) || (isWildcardHost(host) && [...ruleHosts].some((r) => r.endsWith(host.slice(1)) && !r.slice(0, -(host.length - 1)).includes('.')));
        // A rule naming this host that was dropped for an invalid host has its own error already.
        const invalidRule = ing.rules.some((rule) => rule.host !== null && normalizeRuleHost(rule.host.value) === host);
        if (!used && !invalidRule) {
          const hosts = [...ruleHosts];
          this.report('W_TLS_HOST_UNUSED', 'warning', `${describe(ing)}: TLS host "${h.value}" is not used by any rule of this Ingress`, h.at,
            hosts.length > 0 ? `Rule hosts: ${hosts.join(', ')}. A TLS host must equal a rule host to secure it; check for a typo.` : 'This Ingress has no host rules; add a rule with this host or remove it from tls.');
        }
      }
    }
  }

  /**
   * ingress-nginx's server for a host: its paths in ingress-nginx's order of Ingresses
   * (store.go sortIngressSlice: creationTimestamp, ties by namespace/name descending; an Ingress
   * without one counts as the newest), the root location from the first Ingress. The default
   * server `_` (host-less rules) has the root of the first Ingress with a defaultBackend and no
   * rules (controller.go createServers, the "catch all" case), else the default backend.
   */
  private nginxServerOf(host: string | null, routes: readonly Route[]) {
    const { ranked, rank } = this.nginxIngressOrder();
    const key = (r: { readonly ingress: { readonly namespace: string; readonly name: string } }): string => `${r.ingress.namespace}/${r.ingress.name}`;
    const inOrder = routes.toSorted((a, b) => (rank.get(key(a)) ?? 0) - (rank.get(key(b)) ?? 0) || pathOrder(a.id) - pathOrder(b.id));
    const annotationsOf = (k: string): NginxAnnotations => this.nginxAnnotations.get(k) ?? noNginxAnnotations;
    const defaultOf = (k: string) => this.defaultBackends.find((d) => key(d) === k) ?? null;
    let first: { ingress: string; annotations: NginxAnnotations } | null = null;
    let root: DefaultBackendRoute | null = null;
    if (host === null) {
      const catchAll = ranked.find((i) => i.rules.length === 0 && i.defaultBackend !== null);
      root = catchAll === undefined ? null : defaultOf(`${catchAll.metadata.namespace}/${catchAll.metadata.name}`);
    } else {
      const firstRoute = inOrder[0];
      if (firstRoute !== undefined) {
        first = { ingress: key(firstRoute), annotations: annotationsOf(key(firstRoute)) };
        root = defaultOf(key(firstRoute));
      }
    }
    // controller.go: a server gets a certificate (and so the HTTPS redirect) when an Ingress naming
    // its host has spec.tls, whether or not its Secret exists (e2e ssl/http_redirect.go).
    const named = new Set(inOrder.map(key));
    const tls = host !== null && ranked.some((i) => named.has(`${i.metadata.namespace}/${i.metadata.name}`) && i.tls.length > 0);
    const server = compileNginxServer(inOrder.map((route) => ({ route, annotations: annotationsOf(key(route)) })), first, root, tls, this.nginxSettings, this.diagnostics);
    const canaries = this.canaryByBackend();
    const affinities = this.affinityByBackend();
    if (canaries.size === 0 && affinities.size === 0) return server;
    const hostKey = host ?? '_';
    return {
      ...server,
      locations: server.locations.map((l) => {
        if (l.route === null || l.route.backend.kind !== 'service') return l;
        const main = affinities.get(backendKey(l.route.backend));
        const affinity = main === undefined ? undefined : locationAffinity(main, l.route.backend, hostKey, l.ingressPath);
        const attached = canaries.get(backendKey(l.route.backend));
        // mergeAlternativeBackend: with affinity-canary-behavior sticky (the default), the canary gets the main backend's affinity.
        const sticky = attached !== undefined && affinity !== undefined && attached.backend.kind === 'service' && annotationsOf(attached.ingress).affinityCanaryBehavior === 'sticky';
        const canary = attached === undefined ? undefined : sticky ? { ...attached, affinity: { ...affinity, upstream: upstreamName(attached.backend as ServiceBackend) } } : attached;
        return { ...l, ...(canary === undefined ? {} : { canary }), ...(affinity === undefined ? {} : { affinity }) };
      }),
    };
  }

  private affinityCache: ReadonlyMap<string, BackendAffinity> | null = null;

  /**
   * controller.go getBackendServers, over the paths of the nginx profile's Ingresses in
   * ingress-nginx's order: a backend takes the affinity-mode of the first Ingress that writes
   * one, the cookie settings of the last with `affinity: cookie`, and, per host, the paths of
   * every Ingress with `affinity: cookie` (the locations that set the cookie).
   */
  private affinityByBackend(): ReadonlyMap<string, BackendAffinity> {
    if (this.affinityCache !== null) return this.affinityCache;
    const { rank } = this.nginxIngressOrder();
    const byBackend = new Map<string, { mode: 'balanced' | 'persistent' | null; config: NginxAffinity | null; ingress: string; paths: Map<string, string[]> }>();
    const ordered = this.routes.filter((r) => r.profile === 'nginx' && r.backend.kind === 'service').toSorted((a, b) => (rank.get(`${a.ingress.namespace}/${a.ingress.name}`) ?? 0) - (rank.get(`${b.ingress.namespace}/${b.ingress.name}`) ?? 0));
    for (const route of ordered) {
      const ingress = `${route.ingress.namespace}/${route.ingress.name}`;
      const annotations = this.nginxAnnotations.get(ingress) ?? noNginxAnnotations;
      const key = backendKey(route.backend as ServiceBackend);
      let entry = byBackend.get(key);
      if (entry === undefined) {
        entry = { mode: null, config: null, ingress, paths: new Map() };
        byBackend.set(key, entry);
      }
      entry.mode ??= annotations.affinityMode;
      if (annotations.affinity === null) continue;
      entry.config = annotations.affinity;
      entry.ingress = ingress;
      const host = route.host ?? '_';
      entry.paths.set(host, [...(entry.paths.get(host) ?? []), route.path]);
    }
    const affinities = new Map<string, BackendAffinity>();
    for (const [key, entry] of byBackend) {
      if (entry.config === null) continue;
      affinities.set(key, { config: { ...entry.config, mode: entry.mode ?? 'balanced' }, ingress: entry.ingress, paths: entry.paths });
    }
    this.affinityCache = affinities;
    return affinities;
  }

  /** The Ingresses of the nginx profile in ingress-nginx's order, and each one's place in it: sorted once, for every host. */
  private nginxOrderCache: { readonly ranked: readonly Ingress[]; readonly rank: ReadonlyMap<string, number> } | null = null;

  private nginxIngressOrder(): { readonly ranked: readonly Ingress[]; readonly rank: ReadonlyMap<string, number> } {
    if (this.nginxOrderCache === null) {
      const ranked = this.resources.ingresses.filter((i) => this.profileOf(i) === 'nginx').toSorted(nginxOrder);
      this.nginxOrderCache = { ranked, rank: new Map(ranked.map((ing, i) => [`${ing.metadata.namespace}/${ing.metadata.name}`, i])) };
    }
    return this.nginxOrderCache;
  }

  /** A host named by Ingresses of both profiles: those of the profile that does not serve it are left out. */
  private reportProfileConflict(host: string | null, profile: Profile, left: readonly Route[], kept: readonly Route[]): void {
    const ingresses = [...new Set(left.map((r) => `${r.ingress.namespace}/${r.ingress.name}`))];
    const first = left[0];
    if (first === undefined) return;
    const servedBy = [...new Set(kept.map((r) => `${r.ingress.namespace}/${r.ingress.name}`))];
    this.report('W_PROFILE_CONFLICT', 'warning',
      `${host ?? '(any host)'} is named by Ingresses routed by ingress-nginx (${servedBy.join(', ')}) and by the Kubernetes specification (${ingresses.join(', ')}); the paths of ${ingresses.join(', ')} for it are not served`,
      first.source,
      `One port serves both here, and a host goes to one controller: ingress-nginx's. In a cluster each controller has its own address. Give these Ingresses the same class, or run with --profile ${profile === 'nginx' ? 'spec' : 'nginx'} to route all alike.`);
  }

  private reportDuplicates(): void {
    const seen = new Map<string, Route>();
    // Oldest first, so the first definition seen is the one that wins.
    for (const route of this.routes.toSorted((a, b) => a.age - b.age)) {
      const key = `${route.host ?? ''}\u0000${route.path}\u0000${route.pathType}`;
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, route);
        continue;
      }
      this.report('W_DUPLICATE_PATH', 'warning',
        `${route.host ?? '(any host)'} ${route.pathType} ${route.path} is defined twice: ${route.id} loses to ${first.id}`,
        route.source,
        `${first.id} (${first.source.file}:${first.source.line}) wins because ${whyOlder(this.resources.ingresses, first, route)}, as ingress-nginx keeps the oldest Ingress. Remove one of them.`);
    }
  }

  private buildTable(): RouteTable {
    const byHost = new Map<string | null, Route[]>();
    for (const route of this.routes) {
      const list = byHost.get(route.host) ?? [];
      list.push(route);
      byHost.set(route.host, list);
    }
    const exactHosts = new Map<string, HostRoutes>();
    const wildcardHosts = new Map<string, HostRoutes>();
    let anyHost: HostRoutes | null = null;
    const ordered: Route[] = [];
    const hostOrder = [...byHost.keys()].toSorted(compareHosts);
    for (const host of hostOrder) {
      const all = byHost.get(host) ?? [];
      // One port serves both controllers' Ingresses: a host that both name is ingress-nginx's
      // (in a cluster each controller has its own address, and the browser picks one).
      const profile: Profile = all.some((r) => r.profile === 'nginx') ? 'nginx' : 'spec';
      const left = all.filter((r) => r.profile !== profile);
      if (left.length > 0) this.reportProfileConflict(host, profile, left, all.filter((r) => r.profile === profile));
      const routes = Object.freeze(all.filter((r) => r.profile === profile).toSorted(compareRoutesForMatch));
      ordered.push(...routes);
      const nginx = profile === 'nginx' ? { nginx: this.nginxServerOf(host, routes) } : {};
      if (host === null) {
        anyHost = Object.freeze({ host, kind: 'any', profile, routes, ...nginx });
      } else if (isWildcardHost(host)) {
        wildcardHosts.set(host.slice(2), Object.freeze({ host, kind: 'wildcard', profile, routes, ...nginx }));
      } else {
        exactHosts.set(host, Object.freeze({ host, kind: 'exact', profile, routes, ...nginx }));
      }
    }
    this.addWwwRedirects(exactHosts);
    const chosen = [...this.ingressProfiles.values()];
    const fallback: Profile = this.override ?? (chosen.length > 0 && chosen.every((c) => c.profile === 'nginx') ? 'nginx' : 'spec');
    // ingress-nginx's default server `_` answers every host no server names, also without host-less rules.
    if (anyHost === null && fallback === 'nginx') anyHost = Object.freeze({ host: null, kind: 'any', profile: 'nginx', routes: [], nginx: this.nginxServerOf(null, []) });
    const defaults = this.defaultBackends.toSorted((a, b) => a.age - b.age);
    const [winner, ...losers] = defaults;
    for (const loser of losers) {
      this.report('W_MULTIPLE_DEFAULT_BACKENDS', 'warning',
        `${loser.id.replace('#default', '')} defines a defaultBackend, and so does ${winner?.id.replace('#default', '') ?? ''}; only one is used`,
        loser.source,
        `The defaultBackend of ${winner?.id ?? ''} (${winner?.source.file}:${winner?.source.line}) is used because it is older. Keep one defaultBackend for the whole table.`);
    }
    return Object.freeze({
      profile: fallback,
      ingressProfiles: this.ingressProfiles,
      exactHosts,
      wildcardHosts,
      anyHost,
      defaultBackend: winner ?? null,
      routes: Object.freeze(ordered),
      shadowedDefaultBackends: Object.freeze(losers),
      nginxConfigMap: this.controllerConfigMap === null ? null : { name: this.controllerConfigMap.name, why: this.controllerConfigMap.why, at: this.controllerConfigMap.at },
    });
  }
}

function rankByAge(ingresses: readonly Ingress[]): Ranked[] {
  // An Ingress without creationTimestamp has not been applied yet: in a cluster it would be the
  // newest, so it sorts after every timestamped one; file order breaks the remaining ties.
  const sorted = ingresses.toSorted((a, b) =>
    (a.metadata.creationTimestamp ?? Infinity) - (b.metadata.creationTimestamp ?? Infinity) || a.metadata.order - b.metadata.order);
  const age = new Map(sorted.map((ing, i) => [ing, i] as const));
  // Compile in file order so that diagnostics come out in the order the user reads the files.
  return ingresses.map((ingress) => ({ ingress, age: age.get(ingress) ?? 0 }));
}

/** ingress-nginx's order of Ingresses (store.go sortIngressSlice): oldest first, ties by namespace/name descending. */
function nginxOrder(a: Ingress, b: Ingress): number {
  const ta = a.metadata.creationTimestamp ?? Infinity;
  const tb = b.metadata.creationTimestamp ?? Infinity;
  if (ta !== tb) return ta - tb;
  const ka = `${a.metadata.namespace}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace}/${b.metadata.name}`;
  return ka > kb ? -1 : ka < kb ? 1 : 0;
}

/** The rule and path numbers of a route id (`…#r1.p2` → 1002), for the order paths are written in. */
function pathOrder(id: string): number {
  const m = /#r(\d+)\.p(\d+)$/.exec(id);
  return m === null ? 0 : Number(m[1]) * 1000 + Number(m[2]);
}

function whyOlder(ingresses: readonly Ingress[], first: Route, second: Route): string {
  const find = (r: Route) => ingresses.find((i) => i.metadata.namespace === r.ingress.namespace && i.metadata.name === r.ingress.name);
  const a = find(first)?.metadata;
  const b = find(second)?.metadata;
  if (first.ingress.namespace === second.ingress.namespace && first.ingress.name === second.ingress.name) {
    return 'it comes first in the same Ingress';
  }
  const ta = a?.creationTimestamp ?? null;
  const tb = b?.creationTimestamp ?? null;
  if (ta !== null && (tb === null || ta < tb)) {
    return `its creationTimestamp ${new Date(ta).toISOString()} is older`;
  }
  return 'it comes first in file order (no older creationTimestamp decides)';
}

function compareHosts(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1; // host-less rules last
  if (b === null) return -1;
  // Sort by the name without the wildcard so *.example.com sits next to www.example.com.
  const ka = a.replace(/^\*\./, '');
  const kb = b.replace(/^\*\./, '');
  return ka < kb ? -1 : ka > kb ? 1 : a < b ? 1 : -1;
}

function describe(ing: Ingress): string {
  return `Ingress ${ing.metadata.namespace}/${ing.metadata.name}`;
}

function backendAt(ref: BackendRef): SourcePosition {
  return ref.type === 'service' ? ref.name.at : ref.at;
}

/** Path validation of the API server (`validateIngressHTTPIngressPath`). */
function checkPath(path: string, pathType: string): { message: string; hint: string } | null {
  if (!path.startsWith('/')) {
    const near = suggestPath(path, pathType);
    return { message: 'does not start with "/"', hint: `Ingress paths are absolute${near !== null ? `: write "${near}"` : ', and Exact and Prefix paths are plain, normalised paths'}.` };
  }
  if (pathType === 'ImplementationSpecific') return null;
  for (const bad of ['//', '/./', '/../', '%2f', '%2F']) {
    if (path.includes(bad)) {
      return { message: `contains "${bad}", which ${pathType} paths may not`, hint: 'Exact and Prefix paths must be plain, normalised paths. Use ImplementationSpecific for anything else.' };
    }
  }
  if (path.endsWith('/..') || path.endsWith('/.')) {
    return { message: `ends with "${path.endsWith('/..') ? '/..' : '/.'}"`, hint: 'Exact and Prefix paths must be normalised: remove the dot segments.' };
  }
  return null;
}

/** The absolute path meant by `path`, normalised where the pathType requires it; it passes checkPath. */
function suggestPath(path: string, pathType: string): string | null {
  let near = `/${path.replace(/^\.?\/*/, '')}`;
  if (pathType !== 'ImplementationSpecific') {
    const segments: string[] = [];
    for (const segment of near.replace(/%2f/gi, '/').split('/')) {
      if (segment === '..') segments.pop();
      else if (segment !== '' && segment !== '.') segments.push(segment);
    }
    near = `/${segments.join('/')}${segments.length > 0 && /\/\.{0,2}$/.test(path) ? '/' : ''}`;
  }
  return checkPath(near, pathType) === null ? near : null;
}

function hostProblemText(p: HostProblem): string {
  switch (p.kind) {
    case 'ip': return 'is an IP address, which Ingress hosts may not be';
    case 'uppercase': return 'has upper-case letters';
    case 'port': return 'includes a port';
    case 'wildcard-position': return 'has a wildcard that is not the whole first label';
    case 'invalid-label': return `has an invalid DNS label "${p.label}"`;
    case 'too-long': return 'is longer than 253 characters';
  }
}

const labelRule = 'DNS labels are lower-case letters, digits and "-", start and end with a letter or digit, at most 63 characters.';

// A value a hint proposes passes checkHost (suggestHost): `App_Example.com` is not told to write
// `app_example.com`, which check would refuse in turn.
function hostProblemHint(p: HostProblem, host: string): string {
  const near = suggestHost(host);
  switch (p.kind) {
    case 'ip': return 'Leave host out to serve every host (including IP addresses), or use a DNS name.';
    case 'uppercase':
      if (near === null) return `Host names are lower case in Kubernetes. ${labelRule}`;
      return near === p.lower.replace(/\.$/, '') ? `Host names are lower case in Kubernetes: write "${near}".` : `Host names are lower case in Kubernetes, and ${labelRule} Write e.g. "${near}".`;
    case 'port': return `Write the host without the port${near !== null ? ` ("${near}")` : ''}; the port of the Host header is ignored when matching.`;
    case 'wildcard-position': return 'A wildcard must be "*." followed by a domain, like "*.example.com"; it matches exactly one label.';
    case 'invalid-label': return near !== null ? `${labelRule} Write e.g. "${near}".` : labelRule;
    case 'too-long': return 'Shorten the host name.';
  }
}

/** The candidate within edit distance 2, for "did you mean". */
function closest(word: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j] ?? 0;
      row[j] = Math.min((row[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length] ?? 0;
}

/** A Service port as ingress-nginx names its upstream (NAMESPACE-SERVICE-PORT). */
/** The affinity of one backend, before it is placed on each of its locations. */
interface BackendAffinity {
  readonly config: NginxAffinity;
  readonly ingress: string;
  /** Per host (`_` for host-less rules): the paths of the Ingresses with `affinity: cookie` for the backend. */
  readonly paths: ReadonlyMap<string, readonly string[]>;
}

function locationAffinity(affinity: BackendAffinity, backend: ServiceBackend, host: string, ingressPath: string): NginxBackendAffinity {
  return {
    config: affinity.config,
    upstream: upstreamName(backend),
    setsCookie: affinity.paths.get(host)?.includes(ingressPath) === true,
    locationPath: ingressPath === '' ? '/' : ingressPath,
    ingress: affinity.ingress,
  };
}

/** controller.go upstreamName (util.go): `namespace-service-port`, the port as a number when known, else its name. */
function upstreamName(backend: ServiceBackend): string {
  return `${backend.namespace}-${backend.service}-${backend.port ?? backend.portName ?? ''}`;
}

function backendKey(backend: ServiceBackend): string {
  return `${backend.namespace}/${backend.service}:${backend.port ?? backend.portName ?? ''}`;
}
