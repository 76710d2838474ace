import type { DiagnosticCode } from '../../diagnostics/catalogue.js';
import type { Severity, SourcePosition } from '../../diagnostics/diagnostic.js';
import type { Gateway, GatewayBackendRef, GatewayListener, GRPCRoute, GRPCRouteMatch, GRPCRouteRule, HTTPRoute, HTTPRouteFilter, HTTPRouteMatch, HTTPRouteRule, Located, ParentRef, ResourceSet, Service } from '../../manifest/types.js';

/** The route kinds served: HTTPRoute and GRPCRoute. */
type AnyRoute = HTTPRoute | GRPCRoute;
import { checkHost } from '../host.js';
import { prefixSegments } from '../path.js';
import type { Backend } from '../types.js';
import { intersectHostnames, isWildcard } from './hostname.js';
import type {
  CompiledBackendRef,
  CompiledFilter,
  CompiledListener,
  CompiledMatch,
  CompiledRule,
  EntryIndex,
  GatewayTable,
  GatewayStatus,
  GatewayValueMatch,
  HeaderEdits,
  ListenerGroup,
  ListenerIndex,
  PathRewrite,
  RouteEntry,
  RouteParentStatus,
  RouteRefName,
  RouteRefsStatus,
} from './types.js';

/**
 * Gateway API → routes (the specification of kubernetes-sigs/gateway-api apis/v1, as its
 * conformance suite checks it): listeners of protocol HTTP and HTTPS, the routes attached to
 * them (parentRefs, allowedRoutes, hostname intersection), and every rule's matches in the
 * specification's precedence order. What a controller would write in a route's status
 * (Accepted, ResolvedRefs and their reasons) is reported as diagnostics at the field concerned.
 */

export interface GatewayCompileContext {
  readonly resources: ResourceSet;
  readonly services: ReadonlyMap<string, Service>;
  readonly report: (code: DiagnosticCode, severity: Severity, message: string, at: SourcePosition, hint: string) => void;
  /** Serve routes whose parent Gateway is not in the folder on an implicit Gateway (HTTP and HTTPS, any host, any namespace). */
  readonly implicitGateway: boolean;
}

const gatewayGroup = 'gateway.networking.k8s.io';
export const implicitGatewayName = 'ingress-dev/implicit';

export function compileGateway(ctx: GatewayCompileContext): GatewayTable | null {
  const { resources } = ctx;
  if (resources.gateways.length === 0 && resources.httpRoutes.length === 0 && resources.grpcRoutes.length === 0) return null;
  return new GatewayCompilation(ctx).run();
}

interface ListenerSlot {
  readonly listener: CompiledListener;
  readonly written: GatewayListener | null;
  readonly gateway: Gateway | null;
  readonly entries: RouteEntry[];
  /** The routes attached so far (oldest first) and the hostnames each serves here. */
  readonly attached: { readonly route: AnyRoute; readonly hostnames: ReadonlySet<string | null> }[];
}

class GatewayCompilation {
  private readonly slots: ListenerSlot[] = [];
  private readonly byGateway = new Map<string, ListenerSlot[]>();
  private readonly statuses: RouteParentStatus[] = [];
  private readonly rules: CompiledRule[] = [];
  private readonly namespaceLabels = new Map<string, ReadonlyMap<string, string>>();
  /** Listeners that are not served, and why, by `namespace/name` of their Gateway. */
  private readonly refused = new Map<string, { name: string; protocol: string; port: number; hostname: string | null; reason: string }[]>();
  private readonly refs: RouteRefsStatus[] = [];

  constructor(private readonly ctx: GatewayCompileContext) {
    for (const ns of ctx.resources.namespaces) this.namespaceLabels.set(ns.metadata.name, ns.metadata.labels);
  }

  run(): GatewayTable {
    this.checkClasses();
    for (const gateway of this.ctx.resources.gateways) this.compileListeners(gateway);
    const missingParents = (this.ctx.resources.httpRoutes.length > 0 || this.ctx.resources.grpcRoutes.length > 0) && this.ctx.resources.gateways.length === 0;
    if (missingParents) {
      const first = this.ctx.resources.httpRoutes[0] ?? this.ctx.resources.grpcRoutes[0];
      if (this.ctx.implicitGateway) this.addImplicitGateway();
      else if (first !== undefined) {
        this.ctx.report('W_NO_GATEWAY', 'warning', `The folder has routes (HTTPRoute, GRPCRoute) but no Gateway: they attach to nothing and serve nothing`, first.metadata.at,
          'Add the Gateway the routes name in parentRefs, or run with --implicit-gateway (implicitGateway: true in ingress-dev.yaml) to serve every route on the HTTP and HTTPS ports');
      }
    }
    const ranked = [...this.ctx.resources.httpRoutes, ...this.ctx.resources.grpcRoutes].toSorted(compareRouteAge);
    ranked.forEach((route, age) => this.compileRoute(route, age));
    return {
      http: this.index('HTTP'),
      https: this.index('HTTPS'),
      listeners: this.slots.map((s) => s.listener),
      rules: this.rules,
      statuses: this.statuses,
      gateways: this.gatewayStatuses(),
      refs: this.refs,
    };
  }

  private gatewayStatuses(): GatewayStatus[] {
    return this.ctx.resources.gateways.map((gw) => {
      const key = `${gw.metadata.namespace}/${gw.metadata.name}`;
      const served = (this.byGateway.get(key) ?? []).map((slot) => ({
        name: slot.listener.name, protocol: slot.listener.protocol, port: slot.listener.port, hostname: slot.listener.hostname, reason: 'Accepted', served: true,
        attachedRoutes: new Set(slot.entries.map((e) => `${e.rule.route.namespace}/${e.rule.route.name}`)).size,
      }));
      const refused = (this.refused.get(key) ?? []).map((l) => ({ ...l, served: false, attachedRoutes: 0 }));
      const order = new Map(gw.listeners.map((l, i) => [l.name.value, i]));
      const listeners = [...served, ...refused].toSorted((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
      return { gateway: { namespace: gw.metadata.namespace, name: gw.metadata.name }, source: gw.metadata.at, listeners };
    });
  }

  private refuse(gateway: Gateway, l: GatewayListener, reason: string): void {
    const key = `${gateway.metadata.namespace}/${gateway.metadata.name}`;
    const list = this.refused.get(key) ?? [];
    list.push({ name: l.name.value, protocol: l.protocol.value, port: l.port.value, hostname: l.hostname?.value ?? null, reason });
    this.refused.set(key, list);
  }

  private checkClasses(): void {
    const classes = this.ctx.resources.gatewayClasses;
    // A folder rarely holds its GatewayClass (the platform installs it): only a folder that has
    // some is checked, and an unknown class is still served.
    if (classes.length === 0) return;
    const names = new Set(classes.map((c) => c.metadata.name));
    for (const gateway of this.ctx.resources.gateways) {
      const cls = gateway.gatewayClassName;
      if (cls !== null && !names.has(cls.value)) {
        this.ctx.report('W_GATEWAY_CLASS_NOT_FOUND', 'warning', `Gateway ${ref(gateway)}: GatewayClass "${cls.value}" is not in the folder; the Gateway is served anyway`, cls.at,
          `GatewayClasses in the folder: ${[...names].join(', ')}. In a cluster a Gateway of an unknown class is not accepted by any controller.`);
      }
    }
  }

  private compileListeners(gateway: Gateway): void {
    const slots: ListenerSlot[] = [];
    const seen = new Map<string, SourcePosition>();
    const claimed = new Map<string, string>();
    for (const l of gateway.listeners) {
      const name = l.name.value;
      const earlier = seen.get(name);
      if (earlier !== undefined) {
        this.ctx.report('E_LISTENER_CONFLICT', 'error', `Gateway ${ref(gateway)}: listener "${name}" is defined twice; the second is not served`, l.name.at,
          `Listener names must be unique within a Gateway (the first is at ${earlier.file}:${earlier.line}:${earlier.col})`);
        this.refuse(gateway, l, 'Conflicted: duplicate name');
        continue;
      }
      seen.set(name, l.name.at);
      const protocol = l.protocol.value;
      if (protocol !== 'HTTP' && protocol !== 'HTTPS') {
        this.ctx.report('W_LISTENER_NOT_SERVED', 'warning', `Gateway ${ref(gateway)}: listener "${name}" has protocol ${protocol}, which ingress-dev does not serve; its routes are not served`, l.protocol.at,
          'ingress-dev serves HTTP listeners on its HTTP port and HTTPS listeners on its HTTPS port; TLS, TCP and UDP listeners (TLSRoute, TCPRoute, UDPRoute) are not emulated');
        this.refuse(gateway, l, 'not served locally: UnsupportedProtocol');
        continue;
      }
      let hostname: string | null = null;
      if (l.hostname !== null) {
        const problem = checkHost(l.hostname.value);
        if (problem !== null) {
          this.ctx.report('E_HOST_INVALID', 'error', `Gateway ${ref(gateway)}: listener "${name}" hostname "${l.hostname.value}" is not a valid hostname; the listener is not served`, l.hostname.at,
            'A listener hostname is a lower-case DNS name, optionally starting with "*." (no IP address, no port)');
          this.refuse(gateway, l, 'Invalid hostname');
          continue;
        }
        hostname = l.hostname.value;
      }
      // gateway_types.go, ListenerConditionConflicted / HostnameConflict: two listeners of one
      // Gateway on the same port with the same protocol and hostname.
      const key = `${l.port.value}/${protocol}/${hostname ?? ''}`;
      const rival = claimed.get(key);
      if (rival !== undefined) {
        this.ctx.report('E_LISTENER_CONFLICT', 'error', `Gateway ${ref(gateway)}: listener "${name}" has the same port, protocol and hostname as listener "${rival}" (Conflicted: HostnameConflict); it is not served`, l.at,
          'Give the listeners different hostnames or ports');
        this.refuse(gateway, l, 'Conflicted: HostnameConflict');
        continue;
      }
      claimed.set(key, name);
      if (protocol === 'HTTPS' && l.tls?.mode?.value === 'Passthrough') {
        this.ctx.report('W_LISTENER_NOT_SERVED', 'warning', `Gateway ${ref(gateway)}: listener "${name}" uses tls.mode Passthrough, which HTTPRoutes cannot use; it is not served`, l.tls.mode.at,
          'Passthrough listeners carry TLSRoutes, which ingress-dev does not emulate; use mode Terminate (the default) for HTTPRoutes');
        this.refuse(gateway, l, 'not served locally: tls.mode Passthrough');
        continue;
      }
      const listener: CompiledListener = { gateway: { namespace: gateway.metadata.namespace, name: gateway.metadata.name }, name, protocol, port: l.port.value, hostname, source: l.at };
      slots.push({ listener, written: l, gateway, entries: [], attached: [] });
    }
    this.byGateway.set(`${gateway.metadata.namespace}/${gateway.metadata.name}`, slots);
    this.slots.push(...slots);
  }

  /** `--implicit-gateway`: one Gateway with an HTTP and an HTTPS listener for any host, open to every namespace. */
  private addImplicitGateway(): void {
    const at = { file: 'ingress-dev.yaml', line: 1, col: 1 };
    const gateway = { namespace: 'ingress-dev', name: 'implicit' };
    const slots: ListenerSlot[] = (['HTTP', 'HTTPS'] as const).map((protocol) => ({
      listener: { gateway, name: protocol.toLowerCase(), protocol, port: protocol === 'HTTP' ? 80 : 443, hostname: null, source: at },
      written: null,
      gateway: null,
      entries: [],
      attached: [],
    }));
    this.byGateway.set(implicitGatewayName, slots);
    this.slots.push(...slots);
  }

  private compileRoute(route: AnyRoute, age: number): void {
    const name: RouteRefName = { kind: route.kind, namespace: route.metadata.namespace, name: route.metadata.name };
    const hostnames: string[] = [];
    for (const h of route.hostnames) {
      const problem = checkHost(h.value);
      if (problem !== null) {
        this.ctx.report('E_HOST_INVALID', 'error', `${route.kind} ${ref(route)}: hostname "${h.value}" is not a valid hostname; it is ignored`, h.at,
          'A route hostname is a lower-case DNS name, optionally starting with "*." (no IP address, no port)');
        continue;
      }
      hostnames.push(h.value);
    }
    // Every hostname written was invalid: the route would serve any host, which it did not ask for.
    if (route.hostnames.length > 0 && hostnames.length === 0) return;
    const rules = route.kind === 'HTTPRoute'
      ? route.rules.map((rule, index) => this.compileRule(route, name, rule, index, age))
      : route.rules.map((rule, index) => this.compileGrpcRule(route, name, rule, index, age));
    const unresolved = rules.flatMap((r) => r.backendRefs).find((b) => b.invalid !== null && b.backend === null);
    this.refs.push({ route: name, source: route.metadata.at, resolved: unresolved === undefined, reason: unresolved === undefined ? 'ResolvedRefs' : /\((\w+)\)$/.exec(unresolved.invalid ?? '')?.[1] ?? 'Invalid' });
    let attached = false;
    const parents = route.parentRefs.length === 0 && this.ctx.implicitGateway ? [null] : route.parentRefs;
    if (route.parentRefs.length === 0 && !this.ctx.implicitGateway) {
      this.ctx.report('E_ROUTE_NOT_ACCEPTED', 'error', `${route.kind} ${ref(route)} has no parentRefs: it attaches to no Gateway and serves nothing`, route.metadata.at,
        'Add spec.parentRefs: [{name: GATEWAY}] naming the Gateway that should serve it');
    }
    for (const parent of parents) {
      const slots = this.attach(route, name, parent, hostnames);
      for (const slot of slots) {
        attached = true;
        const effective = effectiveHostnames(slot.listener.hostname, hostnames);
        slot.attached.push({ route, hostnames: effective });
        this.addEntries(slot, rules, effective);
      }
    }
    if (attached) this.rules.push(...rules);
  }

  /** The listeners a parentRef attaches the route to, with its status (reported when it attaches nowhere). */
  private attach(route: AnyRoute, name: RouteRefName, parent: ParentRef | null, hostnames: readonly string[]): ListenerSlot[] {
    const at = parent?.at ?? route.metadata.at;
    const status = (accepted: boolean, reason: string, message: string, parentName: string): void => {
      this.statuses.push({ route: name, parent: parentName, accepted, reason, message, source: at });
      if (!accepted) {
        this.ctx.report('E_ROUTE_NOT_ACCEPTED', 'error', `${route.kind} ${ref(route)}: ${message} (Accepted: False, ${reason}); it is not served there`, at, hintFor(reason));
      }
    };
    if (parent === null) {
      const slots = this.byGateway.get(implicitGatewayName) ?? [];
      status(true, 'Accepted', 'attached to the implicit Gateway', implicitGatewayName);
      return slots;
    }
    const group = parent.group ?? gatewayGroup;
    const kind = parent.kind ?? 'Gateway';
    const namespace = parent.namespace ?? route.metadata.namespace;
    const parentName = `${namespace}/${parent.name.value}${parent.sectionName === null ? '' : `/${parent.sectionName.value}`}`;
    if (group !== gatewayGroup || kind !== 'Gateway') {
      status(false, 'NoMatchingParent', `parentRef ${group}/${kind} ${parent.name.value} is not a Gateway; only Gateways are served`, parentName);
      return [];
    }
    let slots = this.byGateway.get(`${namespace}/${parent.name.value}`);
    if (slots === undefined) {
      if (this.ctx.implicitGateway) {
        status(true, 'Accepted', `Gateway ${namespace}/${parent.name.value} is not in the folder: attached to the implicit Gateway`, parentName);
        return this.byGateway.get(implicitGatewayName) ?? [];
      }
      status(false, 'NoMatchingParent', `Gateway ${namespace}/${parent.name.value} is not in the folder`, parentName);
      return [];
    }
    if (parent.sectionName !== null) {
      const section = parent.sectionName.value;
      slots = slots.filter((s) => s.listener.name === section);
      if (slots.length === 0) {
        status(false, 'NoMatchingParent', `Gateway ${namespace}/${parent.name.value} has no listener "${section}" that ingress-dev serves`, parentName);
        return [];
      }
    }
    if (parent.port !== null) {
      const port = parent.port.value;
      slots = slots.filter((s) => s.listener.port === port);
      if (slots.length === 0) {
        status(false, 'NoMatchingParent', `Gateway ${namespace}/${parent.name.value} has no listener on port ${port}`, parentName);
        return [];
      }
    }
    const allowed = slots.filter((s) => this.allows(s, route));
    if (allowed.length === 0) {
      status(false, 'NotAllowedByListeners', `no listener of Gateway ${namespace}/${parent.name.value} allows routes from namespace ${route.metadata.namespace}`, parentName);
      return [];
    }
    const matching = allowed.filter((s) => hostnames.length === 0 || hostnames.some((h) => intersectHostnames(s.listener.hostname, h) !== undefined));
    if (matching.length === 0) {
      const listenerHosts = allowed.map((s) => `${s.listener.name}: ${s.listener.hostname ?? 'any host'}`).join(', ');
      status(false, 'NoMatchingListenerHostname', `no hostname of the route (${hostnames.join(', ')}) intersects a listener hostname of Gateway ${namespace}/${parent.name.value} (${listenerHosts})`, parentName);
      return [];
    }
    // grpcroute_types.go Hostnames (cross serving): an HTTPRoute and a GRPCRoute whose hostnames
    // intersect on one listener: only the older (creationTimestamp, then namespace/name) is
    // accepted there. Routes attach oldest first, so any rival found is the older one.
    const conflicts = matching.map((s) => ({ slot: s, rival: rivalOf(s, route, hostnames) }));
    const free = conflicts.filter((c) => c.rival === null).map((c) => c.slot);
    const lost = conflicts.filter((c) => c.rival !== null);
    const gatewayName = `Gateway ${namespace}/${parent.name.value}`;
    const lostText = lost.map((c) => `listener ${c.slot.listener.name} already serves ${c.rival?.route.kind ?? ''} ${c.rival === null ? '' : ref(c.rival.route)}, older, on ${c.rival === null ? '' : describeHostnames(c.rival.hostnames)}`).join('; ');
    if (free.length === 0) {
      status(false, 'HostnameConflict', `${lostText} (of ${gatewayName}); an HTTPRoute and a GRPCRoute may not share a hostname on a listener`, parentName);
      return [];
    }
    status(true, 'Accepted', `attached to ${free.map((s) => `listener ${s.listener.name}`).join(', ')} of ${gatewayName}`, parentName);
    if (lost.length > 0) {
      this.ctx.report('E_ROUTE_NOT_ACCEPTED', 'error', `${route.kind} ${ref(route)}: not served on ${lostText} (of ${gatewayName}) (Accepted: False, HostnameConflict)`, at, hintFor('HostnameConflict'));
    }
    return free;
  }

  /** gateway_types.go AllowedRoutes: namespaces from Same (default), All or Selector; kinds (default: the protocol's, HTTPRoute for HTTP and HTTPS). */
  private allows(slot: ListenerSlot, route: AnyRoute): boolean {
    const allowed = slot.written?.allowedRoutes ?? null;
    if (slot.gateway === null) return true;
    if (allowed !== null && allowed.kinds.length > 0 && !allowed.kinds.some((k) => (k.group ?? gatewayGroup) === gatewayGroup && k.kind.value === route.kind)) return false;
    const from = allowed?.from?.value ?? 'Same';
    if (from === 'All') return true;
    if (from === 'Same') return route.metadata.namespace === slot.gateway.metadata.namespace;
    const selector = allowed?.selector ?? null;
    if (selector === null) return false;
    // The API server labels every namespace with its name (kubernetes.io/metadata.name).
    const labels = new Map(this.namespaceLabels.get(route.metadata.namespace) ?? []);
    labels.set('kubernetes.io/metadata.name', route.metadata.namespace);
    for (const [key, value] of selector.matchLabels) if (labels.get(key) !== value) return false;
    for (const e of selector.matchExpressions) {
      const value = labels.get(e.key);
      const ok = e.operator === 'In' ? value !== undefined && e.values.includes(value)
        : e.operator === 'NotIn' ? value === undefined || !e.values.includes(value)
          : e.operator === 'Exists' ? value !== undefined
            : e.operator === 'DoesNotExist' ? value === undefined : false;
      if (!ok) return false;
    }
    return true;
  }

  private addEntries(slot: ListenerSlot, rules: readonly CompiledRule[], effective: ReadonlySet<string | null>): void {
    for (const hostname of effective) {
      for (const rule of rules) {
        for (const match of rule.matches) slot.entries.push({ rule, match, hostname, listener: slot.listener });
      }
    }
  }

  private compileRule(route: HTTPRoute, name: RouteRefName, rule: HTTPRouteRule, index: number, age: number): CompiledRule {
    const id = `httproute:${name.namespace}/${name.name}#r${index}`;
    const failures: string[] = [];
    const matches = rule.matches.length === 0
      ? [defaultMatch(rule.at)]
      : rule.matches.flatMap((m, i) => {
        const compiled = this.compileMatch(route, m, i);
        return compiled === null ? [] : [compiled];
      });
    const filters = this.compileFilters(route, rule.filters, failures, rule.matches);
    const backendRefs = rule.backendRefs.map((b) => this.compileBackendRef(route, b, rule.matches));
    const redirects = filters.some((f) => f.type === 'RequestRedirect');
    // httproute_types.go BackendRefs: "If no backendRefs or filters are specified that would
    // result in a response being sent, a HTTP 500 status code MUST be returned."
    if (backendRefs.length === 0 && !redirects) failures.push('the rule has no backendRefs (and no RequestRedirect)');
    return { id, route: name, index, name: rule.name?.value ?? null, matches, filters, backendRefs, fails: failures.length === 0 ? null : failures.join('; '), age, source: rule.at, timeoutMs: this.ruleTimeout(route, rule) };
  }

  /**
   * grpcroute_types.go: a GRPCRoute rule as the same route entries, its method matches as paths
   * (`/SERVICE/METHOD` on the wire): service and method Exact → Exact path, service only →
   * PathPrefix `/SERVICE`, method only or RegularExpression → a regular expression. No matches:
   * every request. Its precedence (characters of the service, then of the method, then headers)
   * is kept on the match.
   */
  private compileGrpcRule(route: GRPCRoute, name: RouteRefName, rule: GRPCRouteRule, index: number, age: number): CompiledRule {
    const id = `grpcroute:${name.namespace}/${name.name}#r${index}`;
    const failures: string[] = [];
    const matches = rule.matches.length === 0
      ? [{ ...defaultMatch(rule.at), grpc: { service: null, method: null } }]
      : rule.matches.flatMap((m, i) => {
        const compiled = this.compileGrpcMatch(route, m, i);
        return compiled === null ? [] : [compiled];
      });
    const filters = this.compileFilters(route, rule.filters, failures, []);
    const backendRefs = rule.backendRefs.map((b) => this.compileBackendRef(route, b, []));
    if (backendRefs.length === 0) failures.push('the rule has no backendRefs');
    return { id, route: name, index, name: rule.name?.value ?? null, matches, filters, backendRefs, fails: failures.length === 0 ? null : failures.join('; '), age, source: rule.at, timeoutMs: null, grpc: true };
  }

  private compileGrpcMatch(route: GRPCRoute, m: GRPCRouteMatch, index: number): CompiledMatch | null {
    const type = m.method?.type?.value ?? 'Exact';
    const service = m.method?.service?.value ?? null;
    const method = m.method?.method?.value ?? null;
    let path: CompiledMatch['path'];
    if (service === null && method === null) path = { type: 'PathPrefix', value: '/', segments: [] };
    else if (type === 'Exact' && service !== null && method !== null) path = { type: 'Exact', value: `/${service}/${method}` };
    else if (type === 'Exact' && service !== null) path = { type: 'PathPrefix', value: `/${service}`, segments: [service] };
    else {
      const s = service === null ? '[^/]+' : type === 'Exact' ? escapeRegex(service) : `(?:${service})`;
      const mth = method === null ? '[^/]+' : type === 'Exact' ? escapeRegex(method) : `(?:${method})`;
      const regex = compileRegex(`/${s}/${mth}`);
      if (regex === null) {
        this.ctx.report('E_MATCH_INVALID', 'error', `GRPCRoute ${ref(route)}: method match ${service ?? '*'}/${method ?? '*'} does not compile as a regular expression; the match is ignored`, m.method?.at ?? m.at, 'Write regular expressions in RE2 syntax');
        return null;
      }
      path = { type: 'RegularExpression', value: `/${s}/${mth}`, regex };
    }
    const headers = this.headerMatches(route, m.headers);
    if (headers === null) return null;
    return { index, path, headers, queryParams: [], method: null, source: m.at, grpc: { service, method } };
  }

  /**
   * httproute_types.go HTTPRouteTimeouts: `request` (the whole exchange) and `backendRequest`
   * (one try at the backend), Gateway API durations (GEP-2257: `^([0-9]{1,5}(h|m|s|ms)){1,4}$`),
   * `0s` disabling one. Locally both bound the wait for the backend's answer (a read timeout of
   * the proxy: 504 when it passes), the shorter of the two.
   */
  private ruleTimeout(route: AnyRoute, rule: HTTPRouteRule): number | null {
    if (rule.timeouts === null) return null;
    const values: number[] = [];
    for (const written of [rule.timeouts.request, rule.timeouts.backendRequest]) {
      if (written === null) continue;
      const ms = parseGatewayDuration(written.value);
      if (ms === null) {
        this.ctx.report('E_FIELD_TYPE', 'error', `${route.kind} ${ref(route)}: timeout "${written.value}" is not a Gateway API duration; it is ignored`, written.at, 'Write a duration such as 500ms, 10s or 1m30s (units h, m, s and ms; 0s disables the timeout)');
        continue;
      }
      values.push(ms);
    }
    const set = values.filter((v) => v > 0);
    if (set.length > 0) return Math.min(...set);
    return values.length > 0 ? 0 : null;
  }

  private compileMatch(route: AnyRoute, m: HTTPRouteMatch, index: number): CompiledMatch | null {
    const type = m.path?.type?.value ?? 'PathPrefix';
    const value = m.path?.value?.value ?? '/';
    const at = m.path?.value?.at ?? m.path?.at ?? m.at;
    let path: CompiledMatch['path'];
    if (type === 'RegularExpression') {
      const regex = compileRegex(value);
      if (regex === null) {
        this.ctx.report('E_MATCH_INVALID', 'error', `${route.kind} ${ref(route)}: path regular expression "${value}" does not compile; the match is ignored`, at, 'Write a regular expression in RE2 syntax (no lookarounds, no backreferences)');
        return null;
      }
      path = { type, value, regex };
    } else {
      if (!value.startsWith('/')) {
        this.ctx.report('E_MATCH_INVALID', 'error', `${route.kind} ${ref(route)}: path "${value}" does not start with "/"; the match is ignored`, at, 'Paths of Exact and PathPrefix matches start with "/"');
        return null;
      }
      path = type === 'Exact' ? { type: 'Exact', value } : { type: 'PathPrefix', value, segments: prefixSegments(value) };
    }
    const headers = this.headerMatches(route, m.headers);
    if (headers === null) return null;
    const queryParams: GatewayValueMatch[] = [];
    const seenParams = new Set<string>();
    for (const q of m.queryParams) {
      if (seenParams.has(q.name.value)) continue;
      seenParams.add(q.name.value);
      const v = this.valueMatch(route, q.name.value, q.type?.value ?? 'Exact', q.value);
      if (v === null) return null;
      queryParams.push(v);
    }
    return { index, path, headers, queryParams, method: m.method?.value ?? null, source: m.at };
  }

  /**
   * Header matches, names lower case (httproute_types.go HTTPHeaderMatch.Name: "If multiple
   * entries specify equivalent header names, only the first entry with an equivalent name MUST
   * be considered"; GRPCHeaderMatch the same). Null when one cannot be used.
   */
  private headerMatches(route: AnyRoute, written: HTTPRouteMatch['headers']): GatewayValueMatch[] | null {
    const headers: GatewayValueMatch[] = [];
    const seen = new Set<string>();
    for (const h of written) {
      const lower = h.name.value.toLowerCase();
      if (seen.has(lower)) continue;
      seen.add(lower);
      const v = this.valueMatch(route, lower, h.type?.value ?? 'Exact', h.value);
      if (v === null) return null;
      headers.push(v);
    }
    return headers;
  }

  private valueMatch(route: AnyRoute, name: string, type: string, value: Located<string>): GatewayValueMatch | null {
    if (type !== 'RegularExpression') return { name, type: 'Exact', value: value.value, regex: null };
    const regex = compileRegex(value.value);
    if (regex === null) {
      this.ctx.report('E_MATCH_INVALID', 'error', `${route.kind} ${ref(route)}: regular expression "${value.value}" for ${name} does not compile; the match is ignored`, value.at, 'Write a regular expression in RE2 syntax');
      return null;
    }
    return { name, type: 'RegularExpression', value: value.value, regex };
  }

  private compileFilters(route: AnyRoute, written: readonly HTTPRouteFilter[], failures: string[], matches: readonly HTTPRouteMatch[]): CompiledFilter[] {
    const out: CompiledFilter[] = [];
    const seen = new Set<string>();
    for (const f of written) {
      // Each core filter at most once per rule (httproute_types.go: validated by CEL), except RequestMirror.
      if (f.type !== 'RequestMirror' && f.type !== 'ExtensionRef' && f.type !== 'Unknown' && seen.has(f.type)) {
        this.ctx.report('E_FILTER_INVALID', 'error', `${route.kind} ${ref(route)}: filter ${f.type} appears twice in one rule; the rule answers 500`, f.at, 'Merge the two filters into one');
        failures.push(`filter ${f.type} appears twice`);
        continue;
      }
      seen.add(f.type);
      switch (f.type) {
        case 'RequestHeaderModifier':
        case 'ResponseHeaderModifier':
          out.push({ type: f.type, edits: headerEdits(f.modifier), source: f.at });
          break;
        case 'RequestRedirect': {
          const path = this.pathRewrite(route, f.path, matches, failures);
          const scheme = f.scheme?.value === 'http' || f.scheme?.value === 'https' ? f.scheme.value : null;
          const status = f.statusCode?.value;
          const statusCode = status === 301 || status === 303 || status === 307 || status === 308 ? status : 302;
          out.push({ type: 'RequestRedirect', scheme, hostname: f.hostname?.value ?? null, port: f.port?.value ?? null, path, statusCode, source: f.at });
          break;
        }
        case 'URLRewrite':
          out.push({ type: 'URLRewrite', hostname: f.hostname?.value ?? null, path: this.pathRewrite(route, f.path, matches, failures), source: f.at });
          break;
        case 'RequestMirror': {
          if (f.backendRef === null) break;
          const mirror = this.compileBackendRef(route, f.backendRef, matches, true);
          if (mirror.backend !== null && mirror.invalid === null) out.push({ type: 'RequestMirror', backend: mirror.backend, percent: f.percent ?? 100, source: f.at });
          break;
        }
        case 'CORS':
          out.push({ type: 'CORS', ...corsPolicyOf(f.raw), source: f.at });
          break;
        case 'ExtensionRef':
          // httproute_types.go HTTPRouteFilter: an unknown ExtensionRef makes the rule answer 500.
          this.ctx.report('E_FILTER_INVALID', 'error', `${route.kind} ${ref(route)}: filter ExtensionRef ${f.kind ?? '?'} ${f.name ?? '?'} is an implementation's extension; the rule answers 500, as the specification requires for a filter that cannot be applied`, f.at,
            'Remove the filter to route locally, or express it with a core filter (RequestHeaderModifier, RequestRedirect, URLRewrite)');
          failures.push(`ExtensionRef ${f.kind ?? '?'} ${f.name ?? '?'} is not supported`);
          break;
        case 'Unknown':
          failures.push(`filter ${f.written?.value ?? '(no type)'} is not supported`);
          break;
      }
    }
    return out;
  }

  /** ReplacePrefixMatch needs a PathPrefix match (httproute_types.go HTTPPathModifier, CEL). */
  private pathRewrite(route: AnyRoute, path: { readonly type: Located<string>; readonly replaceFullPath: Located<string> | null; readonly replacePrefixMatch: Located<string> | null; readonly at: SourcePosition } | null, matches: readonly HTTPRouteMatch[], failures: string[]): PathRewrite | null {
    if (path === null) return null;
    if (path.type.value === 'ReplaceFullPath' && path.replaceFullPath !== null) return { type: 'ReplaceFullPath', value: path.replaceFullPath.value };
    if (path.type.value === 'ReplacePrefixMatch' && path.replacePrefixMatch !== null) {
      const notPrefix = matches.find((m) => (m.path?.type?.value ?? 'PathPrefix') !== 'PathPrefix');
      if (notPrefix !== undefined) {
        this.ctx.report('E_FILTER_INVALID', 'error', `${route.kind} ${ref(route)}: ReplacePrefixMatch needs every match of the rule to be a PathPrefix match; the rule answers 500`, path.at, 'Use ReplaceFullPath, or make the matches PathPrefix');
        failures.push('ReplacePrefixMatch with a match that is not PathPrefix');
        return null;
      }
      return { type: 'ReplacePrefixMatch', value: path.replacePrefixMatch.value };
    }
    return null;
  }

  /**
   * A backendRef: a Service port of the route's namespace, or of another one a ReferenceGrant
   * opens (referencegrant_types.go). An invalid one keeps its weight: its share answers 500
   * (httproute_types.go HTTPBackendRef).
   */
  private compileBackendRef(route: AnyRoute, b: GatewayBackendRef, matches: readonly HTTPRouteMatch[], mirror = false): CompiledBackendRef {
    const failures: string[] = [];
    const filters = this.compileFilters(route, b.filters, failures, matches);
    const weight = b.weight?.value ?? 1;
    const group = b.group ?? '';
    const kind = b.kind ?? 'Service';
    const namespace = b.namespace?.value ?? route.metadata.namespace;
    const base = { weight, filters, source: b.at };
    const invalid = (reason: string, message: string, at: SourcePosition, hint: string): CompiledBackendRef => {
      // An invalid mirror is dropped (httproute_types.go HTTPRequestMirrorFilter); an invalid backendRef's share answers 500.
      this.ctx.report('E_BACKEND_REF_INVALID', 'error', `${route.kind} ${ref(route)}: ${mirror ? 'RequestMirror ' : ''}${message} (ResolvedRefs: False, ${reason}); ${mirror ? 'the mirror is dropped' : 'its share of requests answers 500'}`, at, hint);
      return { ...base, backend: null, invalid: `${message} (${reason})` };
    };
    if (group !== '' || kind !== 'Service') {
      return invalid('InvalidKind', `backendRef ${group === '' ? 'core' : group}/${kind} ${b.name.value} is not a Service`, b.at, 'Route to a Service (group "" and kind Service, the defaults)');
    }
    if (namespace !== route.metadata.namespace && !this.referenceGranted(route, namespace, b.name.value)) {
      return invalid('RefNotPermitted', `backendRef to Service ${namespace}/${b.name.value} in another namespace is not allowed by a ReferenceGrant`, b.namespace?.at ?? b.at,
        `Add a ReferenceGrant in namespace ${namespace} with from: [{group: gateway.networking.k8s.io, kind: ${route.kind}, namespace: ${route.metadata.namespace}}] and to: [{group: "", kind: Service}]`);
    }
    if (b.port === null) {
      return invalid('UnsupportedValue', `backendRef to Service ${b.name.value} has no port`, b.at, 'A backendRef to a Service must name its port: port: 80');
    }
    const service = this.ctx.services.get(`${namespace}/${b.name.value}`);
    if (service === undefined) {
      const inNs = this.ctx.resources.services.filter((s) => s.metadata.namespace === namespace).map((s) => s.metadata.name);
      return invalid('BackendNotFound', `Service ${namespace}/${b.name.value} not found`, b.name.at, inNs.length > 0 ? `Services in namespace ${namespace}: ${inNs.join(', ')}` : `No Service is defined in namespace ${namespace}`);
    }
    const port = b.port.value;
    const found = service.ports.find((p) => p.port === port);
    if (found === undefined && !(service.type === 'ExternalName' && service.ports.length === 0)) {
      return invalid('BackendNotFound', `Service ${namespace}/${b.name.value} has no port ${port}`, b.port.at, `Service ${b.name.value} has ports: ${service.ports.map((p) => p.port).join(', ') || 'none'}`);
    }
    const backend: Backend = { kind: 'service', service: b.name.value, namespace, port, portName: found?.name ?? null, problem: null };
    return { ...base, backend, invalid: failures.length === 0 ? null : failures.join('; ') };
  }

  private referenceGranted(route: AnyRoute, namespace: string, service: string): boolean {
    return this.ctx.resources.referenceGrants.some((g) => g.metadata.namespace === namespace
      && g.from.some((f) => f.group === gatewayGroup && f.kind === route.kind && f.namespace === route.metadata.namespace)
      && g.to.some((t) => t.group === '' && t.kind === 'Service' && (t.name === null || t.name === service)));
  }

  private index(protocol: 'HTTP' | 'HTTPS'): ListenerIndex {
    const groups = new Map<string, { hostname: string | null; listeners: CompiledListener[]; entries: RouteEntry[] }>();
    for (const slot of this.slots) {
      if (slot.listener.protocol !== protocol) continue;
      const key = slot.listener.hostname ?? '';
      let group = groups.get(key);
      if (group === undefined) {
        group = { hostname: slot.listener.hostname, listeners: [], entries: [] };
        groups.set(key, group);
      }
      group.listeners.push(slot.listener);
      group.entries.push(...slot.entries);
    }
    const exact = new Map<string, ListenerGroup>();
    const wildcard = new Map<string, ListenerGroup>();
    let any: ListenerGroup | null = null;
    for (const g of groups.values()) {
      const group: ListenerGroup = { hostname: g.hostname, listeners: g.listeners, entries: indexEntries(g.entries) };
      if (g.hostname === null) any = group;
      else if (isWildcard(g.hostname)) wildcard.set(g.hostname.slice(2), group);
      else exact.set(g.hostname, group);
    }
    return { exact, wildcard, any };
  }
}

function indexEntries(entries: readonly RouteEntry[]): EntryIndex {
  const exact = new Map<string, RouteEntry[]>();
  const wildcard = new Map<string, RouteEntry[]>();
  const any: RouteEntry[] = [];
  // The same rule and match may arrive twice (two listeners of one group): keep one.
  const seen = new Set<string>();
  for (const e of entries) {
    const key = `${e.rule.id}.m${e.match.index}@${e.hostname ?? ''}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (e.hostname === null) any.push(e);
    else {
      const map = isWildcard(e.hostname) ? wildcard : exact;
      const k = isWildcard(e.hostname) ? e.hostname.slice(2) : e.hostname;
      const list = map.get(k);
      if (list === undefined) map.set(k, [e]);
      else list.push(e);
    }
  }
  for (const list of [...exact.values(), ...wildcard.values(), any]) list.sort(compareEntries);
  return { exact, wildcard, any };
}

/**
 * httproute_types.go HTTPRouteRule (Matches): "Across all rules specified on applicable Routes,
 * precedence must be given to the match having: 'Exact' path match. 'Prefix' path match with
 * largest number of characters. Method match. Largest number of header matches. Largest number
 * of query param matches." Then the oldest Route (creationTimestamp), then "{namespace}/{name}"
 * in alphabetical order, then the first rule in list order. RegularExpression paths have an
 * implementation-specific precedence: here after every Exact and PathPrefix match (as Envoy
 * Gateway orders them), longer expressions first.
 */
export function compareEntries(a: RouteEntry, b: RouteEntry): number {
  const ga = a.match.grpc;
  const gb = b.match.grpc;
  if (ga !== undefined && gb !== undefined) {
    // grpcroute_types.go GRPCRouteRule.Matches: the most characters of a matching service, then of a method, then the most header matches.
    const sa = ga.service?.length ?? 0;
    const sb = gb.service?.length ?? 0;
    if (sa !== sb) return sb - sa;
    const ma = ga.method?.length ?? 0;
    const mb = gb.method?.length ?? 0;
    if (ma !== mb) return mb - ma;
    if (a.match.headers.length !== b.match.headers.length) return b.match.headers.length - a.match.headers.length;
    if (a.rule.age !== b.rule.age) return a.rule.age - b.rule.age;
    if (a.rule.index !== b.rule.index) return a.rule.index - b.rule.index;
    return a.match.index - b.match.index;
  }
  const pa = a.match.path;
  const pb = b.match.path;
  const rank = (p: CompiledMatch['path']): number => (p.type === 'Exact' ? 0 : p.type === 'PathPrefix' ? 1 : 2);
  if (rank(pa) !== rank(pb)) return rank(pa) - rank(pb);
  // "largest number of characters": a PathPrefix's trailing `/` is ignored in matching, and in counting.
  const la = pa.type === 'PathPrefix' ? pa.value.replace(/\/+$/, '').length : pa.value.length;
  const lb = pb.type === 'PathPrefix' ? pb.value.replace(/\/+$/, '').length : pb.value.length;
  if (la !== lb) return lb - la;
  const ma = a.match.method === null ? 1 : 0;
  const mb = b.match.method === null ? 1 : 0;
  if (ma !== mb) return ma - mb;
  if (a.match.headers.length !== b.match.headers.length) return b.match.headers.length - a.match.headers.length;
  if (a.match.queryParams.length !== b.match.queryParams.length) return b.match.queryParams.length - a.match.queryParams.length;
  if (a.rule.age !== b.rule.age) return a.rule.age - b.rule.age;
  if (a.rule.index !== b.rule.index) return a.rule.index - b.rule.index;
  return a.match.index - b.match.index;
}

/** The hostnames a route serves on a listener: its own intersected with the listener's (null: any host). */
function effectiveHostnames(listener: string | null, hostnames: readonly string[]): Set<string | null> {
  const effective = new Set<string | null>();
  if (hostnames.length === 0) effective.add(listener);
  for (const h of hostnames) {
    const both = intersectHostnames(listener, h);
    if (both !== undefined) effective.add(both);
  }
  return effective;
}

/** An older route of the other kind (HTTPRoute vs GRPCRoute) on the listener whose hostnames meet the route's. */
function rivalOf(slot: ListenerSlot, route: AnyRoute, hostnames: readonly string[]): ListenerSlot['attached'][number] | null {
  const mine = effectiveHostnames(slot.listener.hostname, hostnames);
  for (const other of slot.attached) {
    if (other.route.kind === route.kind) continue;
    for (const a of mine) for (const b of other.hostnames) if (intersectHostnames(a, b) !== undefined) return other;
  }
  return null;
}

function describeHostnames(hostnames: ReadonlySet<string | null>): string {
  return [...hostnames].map((h) => h ?? 'any host').join(', ');
}

/** creationTimestamp (oldest first; none counts as newest), then `namespace/name`. */
function compareRouteAge(a: AnyRoute, b: AnyRoute): number {
  const ta = a.metadata.creationTimestamp ?? Number.POSITIVE_INFINITY;
  const tb = b.metadata.creationTimestamp ?? Number.POSITIVE_INFINITY;
  if (ta !== tb) return ta < tb ? -1 : 1;
  const na = `${a.metadata.namespace}/${a.metadata.name}`;
  const nb = `${b.metadata.namespace}/${b.metadata.name}`;
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** The CORS filter as written (the parser keeps it as plain data), with the API's defaults. */
function corsPolicyOf(raw: unknown): Omit<Extract<CompiledFilter, { type: 'CORS' }>, 'type' | 'source'> {
  const o = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const maxAge = typeof o.maxAge === 'number' && Number.isInteger(o.maxAge) && o.maxAge >= 1 ? o.maxAge : 5;
  return {
    allowOrigins: list(o.allowOrigins),
    allowCredentials: o.allowCredentials === true,
    allowMethods: list(o.allowMethods),
    allowHeaders: list(o.allowHeaders),
    exposeHeaders: list(o.exposeHeaders),
    maxAge,
  };
}

/** GEP-2257 durations: `1h`, `30m`, `10s`, `500ms`, combined (`1m30s`); null when it is not one. */
export function parseGatewayDuration(text: string): number | null {
  if (!/^([0-9]{1,5}(h|m|s|ms)){1,4}$/.test(text)) return null;
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/([0-9]{1,5})(ms|h|m|s)/g)) {
    const value = Number(n);
    ms += unit === 'h' ? value * 3_600_000 : unit === 'm' ? value * 60_000 : unit === 's' ? value * 1_000 : value;
  }
  return ms;
}

function defaultMatch(at: SourcePosition): CompiledMatch {
  return { index: 0, path: { type: 'PathPrefix', value: '/', segments: [] }, headers: [], queryParams: [], method: null, source: at };
}

function headerEdits(m: { readonly set: readonly { readonly name: Located<string>; readonly value: Located<string> }[]; readonly add: readonly { readonly name: Located<string>; readonly value: Located<string> }[]; readonly remove: readonly Located<string>[] }): HeaderEdits {
  return {
    set: m.set.map((h) => [h.name.value, h.value.value] as const),
    add: m.add.map((h) => [h.name.value, h.value.value] as const),
    remove: m.remove.map((h) => h.value.toLowerCase()),
  };
}

/** A regular expression that must match the whole value (RE2, as Envoy uses it; JavaScript's is close for the common subset). */
function compileRegex(source: string): RegExp | null {
  // RE2's leading flags, as Envoy reads them: `(?i)` case-insensitive, `(?s)` dot matches \n.
  const flags = /^\(\?([is]+)\)/.exec(source);
  const body = flags === null ? source : source.slice(flags[0].length);
  try {
    return new RegExp(`^(?:${body})$`, [...new Set(flags?.[1] ?? '')].join(''));
  } catch {
    return null;
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function ref(o: { readonly metadata: { readonly namespace: string; readonly name: string } }): string {
  return `${o.metadata.namespace}/${o.metadata.name}`;
}

function hintFor(reason: string): string {
  switch (reason) {
    case 'NoMatchingParent':
      return 'Check parentRefs: the Gateway\'s name and namespace, sectionName (a listener name) and port must name a listener of a Gateway in the folder';
    case 'NotAllowedByListeners':
      return 'Set the listener\'s allowedRoutes.namespaces.from to All (or a Selector that matches the route\'s namespace), or move the route to the Gateway\'s namespace';
    case 'HostnameConflict':
      return 'Give the HTTPRoute and the GRPCRoute different hostnames, or attach them to different listeners (the spec accepts only the older of the two)';
    case 'NoMatchingListenerHostname':
      return 'Give the route a hostname the listener accepts (the same name, or one its wildcard covers), or remove the listener\'s hostname';
    default:
      return 'See the Gateway API reference for parentRefs';
  }
}
