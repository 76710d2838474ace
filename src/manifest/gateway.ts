import { isScalar, isSeq } from 'yaml';
import type { DiagnosticCode } from '../diagnostics/catalogue.js';
import type { SourcePosition } from '../diagnostics/diagnostic.js';
import { suggestWord } from './suggest.js';
import type {
  Gateway,
  GatewayBackendRef,
  GatewayClass,
  GatewayListener,
  GRPCRoute,
  GRPCRouteMatch,
  GRPCRouteRule,
  HeaderModifier,
  HTTPRoute,
  HTTPRouteFilter,
  HTTPRouteMatch,
  HTTPRouteRule,
  Located,
  ParentRef,
  PathModifier,
  ReferenceGrant,
} from './types.js';
import {
  checkFields,
  isPresent,
  itemField,
  joinPath,
  mapView,
  readList,
  readObject,
  readString,
  readStringMap,
  report,
  reportType,
  resolveValue,
  scalarText,
  type Field,
  type MapView,
  type Scope,
  type YamlValue,
} from './yaml-node.js';

/**
 * The Gateway API kinds (gateway.networking.k8s.io), recorded as written with their positions.
 * Only what the API server itself would check on the object alone is validated here (enumerations,
 * number ranges, required fields); attachment, references and the specification's defaults need
 * the other resources and are the model's (model/gateway/).
 *
 * Field lists follow kubernetes-sigs/gateway-api apis/v1/*.go, experimental channel included.
 */

export const gatewayGroup = 'gateway.networking.k8s.io';
const v1 = `${gatewayGroup}/v1`;

/** GatewayClass, Gateway and HTTPRoute: v1beta1 is still served, and deprecated. */
export const gatewayApiVersions = [v1, `${gatewayGroup}/v1beta1`] as const;
/** GRPCRoute went from v1alpha2 straight to v1 (Gateway API v1.1); there never was a v1beta1. */
export const grpcRouteApiVersions = [v1, `${gatewayGroup}/v1alpha2`] as const;
export const referenceGrantApiVersions = [v1, `${gatewayGroup}/v1beta1`] as const;

export type GatewayClassSpec = Pick<GatewayClass, 'controllerName'>;
export type GatewaySpec = Pick<Gateway, 'gatewayClassName' | 'listeners'>;
export type HTTPRouteSpec = Pick<HTTPRoute, 'parentRefs' | 'hostnames' | 'rules'>;
export type GRPCRouteSpec = Pick<GRPCRoute, 'parentRefs' | 'hostnames' | 'rules'>;
export type ReferenceGrantSpec = Pick<ReferenceGrant, 'from' | 'to'>;

type RouteKind = 'HTTPRoute' | 'GRPCRoute';

/** The warning for an older apiVersion of a kind of the group; null for v1. */
export function gatewayDeprecation(kind: string, apiVersion: string): { readonly message: string; readonly hint: string } | null {
  if (apiVersion === v1) return null;
  const removed = kind === 'GRPCRoute';
  return {
    message: `apiVersion ${apiVersion} is ${removed ? 'no longer served' : 'deprecated'}; it is read as ${v1}`,
    hint: `Write apiVersion: ${v1}; the fields are the same (${kind} has been served as v1 since Gateway API ${removed ? 'v1.1' : 'v1.0'})`,
  };
}

// ---------------------------------------------------------------------------------------------
// field lists (apis/v1: gateway_types.go, gatewayclass_types.go, httproute_types.go,
// grpcroute_types.go, shared_types.go, object_reference_types.go, referencegrant_types.go)

const fields = {
  gatewayClassSpec: ['controllerName', 'parametersRef', 'description'],
  gatewaySpec: ['gatewayClassName', 'listeners', 'addresses', 'infrastructure', 'allowedListeners', 'tls', 'defaultScope'],
  listener: ['name', 'hostname', 'port', 'protocol', 'tls', 'allowedRoutes'],
  listenerTls: ['mode', 'certificateRefs', 'options'],
  secretRef: ['group', 'kind', 'name', 'namespace'],
  allowedRoutes: ['namespaces', 'kinds'],
  routeNamespaces: ['from', 'selector'],
  labelSelector: ['matchLabels', 'matchExpressions'],
  selectorRequirement: ['key', 'operator', 'values'],
  routeGroupKind: ['group', 'kind'],
  routeSpec: ['parentRefs', 'useDefaultGateways', 'hostnames', 'rules'],
  parentRef: ['group', 'kind', 'namespace', 'name', 'sectionName', 'port'],
  httpRule: ['name', 'matches', 'filters', 'backendRefs', 'timeouts', 'retry', 'sessionPersistence'],
  grpcRule: ['name', 'matches', 'filters', 'backendRefs', 'sessionPersistence'],
  timeouts: ['request', 'backendRequest'],
  httpMatch: ['path', 'headers', 'queryParams', 'method'],
  grpcMatch: ['method', 'headers'],
  pathMatch: ['type', 'value'],
  valueMatch: ['type', 'name', 'value'],
  grpcMethod: ['type', 'service', 'method'],
  httpFilter: ['type', 'requestHeaderModifier', 'responseHeaderModifier', 'requestMirror', 'requestRedirect', 'urlRewrite', 'cors', 'externalAuth', 'extensionRef'],
  grpcFilter: ['type', 'requestHeaderModifier', 'responseHeaderModifier', 'requestMirror', 'extensionRef'],
  headerModifier: ['set', 'add', 'remove'],
  header: ['name', 'value'],
  redirect: ['scheme', 'hostname', 'path', 'port', 'statusCode'],
  rewrite: ['hostname', 'path'],
  pathModifier: ['type', 'replaceFullPath', 'replacePrefixMatch'],
  mirror: ['backendRef', 'percent', 'fraction'],
  fraction: ['numerator', 'denominator'],
  cors: ['allowOrigins', 'allowCredentials', 'allowMethods', 'allowHeaders', 'exposeHeaders', 'maxAge'],
  extensionRef: ['group', 'kind', 'name'],
  backendObjectRef: ['group', 'kind', 'name', 'namespace', 'port'],
  backendRef: ['group', 'kind', 'name', 'namespace', 'port', 'weight', 'filters'],
  referenceGrantSpec: ['from', 'to'],
  grantFrom: ['group', 'kind', 'namespace'],
  grantTo: ['group', 'kind', 'name'],
} as const;

const pathMatchTypes = ['Exact', 'PathPrefix', 'RegularExpression'] as const;
const valueMatchTypes = ['Exact', 'RegularExpression'] as const;
const httpMethods = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'] as const;
const redirectSchemes = ['http', 'https'] as const;
const redirectStatusCodes = [301, 302, 303, 307, 308] as const;
const pathModifierTypes = ['ReplaceFullPath', 'ReplacePrefixMatch'] as const;
const namespacesFrom = ['All', 'Same', 'Selector'] as const;
const tlsModes = ['Terminate', 'Passthrough'] as const;
const selectorOperators = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

type FilterType = Exclude<HTTPRouteFilter['type'], 'Unknown'>;
const httpFilterTypes: readonly FilterType[] = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite', 'RequestMirror', 'ExtensionRef', 'CORS'];
const grpcFilterTypes: readonly FilterType[] = ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror', 'ExtensionRef'];
/** Types the API defines that ingress-dev cannot apply (experimental channel). */
const unsupportedFilterTypes = ['ExternalAuth'];

const filterConfigKeys: Readonly<Record<FilterType | 'ExternalAuth', string>> = {
  RequestHeaderModifier: 'requestHeaderModifier',
  ResponseHeaderModifier: 'responseHeaderModifier',
  RequestRedirect: 'requestRedirect',
  URLRewrite: 'urlRewrite',
  RequestMirror: 'requestMirror',
  ExtensionRef: 'extensionRef',
  CORS: 'cors',
  ExternalAuth: 'externalAuth',
};

const filterExamples: Readonly<Record<FilterType, string>> = {
  RequestHeaderModifier: 'requestHeaderModifier: {set: [{name: X-Env, value: dev}]}',
  ResponseHeaderModifier: 'responseHeaderModifier: {remove: [Server]}',
  RequestRedirect: 'requestRedirect: {scheme: https, statusCode: 301}',
  URLRewrite: 'urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}',
  RequestMirror: 'requestMirror: {backendRef: {name: shadow, port: 80}}',
  ExtensionRef: 'extensionRef: {group: example.com, kind: MyFilter, name: my-filter}',
  CORS: 'cors: {allowOrigins: ["https://app.example.com"]}',
};

// ---------------------------------------------------------------------------------------------
// small readers: null when not written, 'invalid' after a diagnostic

type Read<T> = T | null | 'invalid';

function isUsable<T>(value: Read<T>): value is T {
  return value !== null && value !== 'invalid';
}

function orNull<T>(value: Read<T>): T | null {
  return value === 'invalid' ? null : value;
}

/** "A, B or C", for messages. */
function oneOf(values: readonly (string | number)[]): string {
  const words = values.map(String);
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/**
 * Words of other APIs that are too far from the Gateway API's for a typo to be found (the Ingress
 * pathType `Prefix`), mapped to the value meant.
 */
const meantInstead: Readonly<Record<string, string>> = {
  Prefix: 'PathPrefix',
  ImplementationSpecific: 'PathPrefix',
  Regex: 'RegularExpression',
  regex: 'RegularExpression',
};

function didYouMean(written: string, known: readonly string[]): string {
  const alias = Object.hasOwn(meantInstead, written) ? meantInstead[written] : undefined;
  const meant = alias !== undefined && known.includes(alias) ? alias : suggestWord(written, known);
  return meant === null ? '' : `Did you mean ${meant}? `;
}

/** A string that must be written and not empty. */
function readRequired(scope: Scope, view: MapView, key: string, path: string, consequence: string, hint: string): Read<Located<string>> {
  const field = view.fields.get(key);
  const value = readString(scope, field, joinPath(path, key));
  if (value !== null && value.value !== '') return value;
  if (isPresent(field) && value === null) return 'invalid';
  report(scope, 'E_MISSING_FIELD', `${joinPath(path, key)} is ${value === null ? 'missing' : 'empty'}; ${consequence}`, field?.at ?? view.at, hint);
  return 'invalid';
}

/** An optional string; an empty one is as good as none (the API's omitempty). */
function readOptional(scope: Scope, view: MapView, key: string, path: string): Read<Located<string>> {
  const field = view.fields.get(key);
  const value = readString(scope, field, joinPath(path, key));
  if (value === null) return isPresent(field) ? 'invalid' : null;
  return value.value === '' ? null : value;
}

/** A string field kept as written, "" included (group: "" is the core group). */
function readText(scope: Scope, view: MapView, key: string, path: string): string | null {
  return readString(scope, view.fields.get(key), joinPath(path, key))?.value ?? null;
}

interface Range {
  readonly min: number;
  readonly max: number;
  /** How to name the range: "a port number (1-65535)". */
  readonly what: string;
  readonly example: number;
}

const portRange: Range = { min: 1, max: 65535, what: 'a port number (1-65535)', example: 8080 };
const weightRange: Range = { min: 0, max: 1_000_000, what: 'a weight (0-1000000)', example: 1 };
const percentRange: Range = { min: 0, max: 100, what: 'a percentage (0-100)', example: 50 };

function readInteger(scope: Scope, view: MapView, key: string, path: string, range: Range, code: DiagnosticCode, consequence: string): Read<Located<number>> {
  const field = view.fields.get(key);
  if (!isPresent(field)) return null;
  const value = field.value;
  const fieldPath = joinPath(path, key);
  if (!isScalar(value) || typeof value.value !== 'number') {
    reportType(scope, field, fieldPath, 'integer', value);
    return 'invalid';
  }
  const n = value.value;
  if (Number.isInteger(n) && n >= range.min && n <= range.max) return { value: n, at: field.at };
  report(scope, code, `${fieldPath} ${scalarText(value)} is not ${range.what}; ${consequence}`, field.at, `Write a whole number from ${range.min} to ${range.max}, e.g. ${key}: ${range.example}`);
  return 'invalid';
}

/** A string of a fixed set; a typo is reported with the value probably meant. */
function readEnum(
  scope: Scope,
  view: MapView,
  key: string,
  path: string,
  values: readonly string[],
  code: DiagnosticCode,
  consequence: string,
  explain: string,
): Read<Located<string>> {
  const field = view.fields.get(key);
  const text = readString(scope, field, joinPath(path, key));
  if (text === null) return isPresent(field) ? 'invalid' : null;
  if (values.includes(text.value)) return text;
  report(scope, code, `${joinPath(path, key)} "${text.value}" is not ${oneOf(values)}; ${consequence}`, text.at, `${didYouMean(text.value, values)}${explain}`);
  return 'invalid';
}

/**
 * The mappings of a list field, each given to `parse` with its path; items that are not mappings
 * are reported (null items, `- ` alone, are skipped quietly, as for Ingress).
 */
function eachMapping<T>(scope: Scope, owner: MapView, key: string, path: string, parse: (view: MapView, itemPath: string) => T | null): T[] {
  const out: T[] = [];
  const listPath = joinPath(path, key);
  for (const item of readList(scope, owner.fields.get(key), listPath)) {
    const itemPath = joinPath(listPath, item.index);
    const view = mapView(scope, item.value, itemPath);
    if (view === null) {
      if (item.value !== null) reportType(scope, itemField(item, key), itemPath, 'mapping', item.value);
      continue;
    }
    const parsed = parse(view, itemPath);
    if (parsed !== null) out.push(parsed);
  }
  return out;
}

function readStrings(scope: Scope, owner: MapView, key: string, path: string): Located<string>[] {
  const out: Located<string>[] = [];
  const listPath = joinPath(path, key);
  for (const item of readList(scope, owner.fields.get(key), listPath)) {
    const value = readString(scope, itemField(item, key), joinPath(listPath, item.index));
    if (value !== null) out.push(value);
  }
  return out;
}

/** Whether a list field was written with at least one item (an empty list means "not written"). */
function hasItems(field: Field | undefined): boolean {
  return isPresent(field) && (!isSeq(field.value) || field.value.items.length > 0);
}

const maxPlainNodes = 2000;

/** A YAML value as plain data (CORS is passed on as written); aliases followed, bounded. */
function plainValue(scope: Scope, value: YamlValue | null, path: string, budget: { nodes: number }): unknown {
  if (value === null || --budget.nodes < 0) return null;
  if (isScalar(value)) return typeof value.value === 'symbol' ? null : value.value;
  if (isSeq(value)) return value.items.map((item, i) => plainValue(scope, resolveValue(scope.ctx, item), joinPath(path, i), budget));
  const view = mapView(scope, value, path);
  const out: Record<string, unknown> = {};
  for (const field of view?.fields.values() ?? []) out[field.key] = plainValue(scope, field.value, joinPath(path, field.key), budget);
  return out;
}

// ---------------------------------------------------------------------------------------------
// GatewayClass

export function parseGatewayClassSpec(scope: Scope, specField: Field | undefined, kindAt: SourcePosition): GatewayClassSpec {
  const spec = readObject(scope, specField, 'spec');
  if (spec === null) {
    if (!isPresent(specField)) {
      report(scope, 'E_MISSING_FIELD', 'spec is missing; the GatewayClass names no controller', specField?.at ?? kindAt, 'Add spec: {controllerName: example.com/gateway-controller}');
    }
    return { controllerName: null };
  }
  checkFields(scope, spec, fields.gatewayClassSpec, 'spec');
  const controllerName = readRequired(scope, spec, 'controllerName', 'spec', 'the GatewayClass names no controller', 'Add the controller that implements the class, e.g. controllerName: example.com/gateway-controller');
  return { controllerName: orNull(controllerName) };
}

// ---------------------------------------------------------------------------------------------
// Gateway

const listenerIgnored = 'the listener is ignored';

function parseCertificateRef(scope: Scope, view: MapView, path: string): NonNullable<GatewayListener['tls']>['certificateRefs'][number] | null {
  checkFields(scope, view, fields.secretRef, path);
  const name = readRequired(scope, view, 'name', path, 'the certificate reference is ignored', 'Name the Secret that holds the certificate: {name: web-tls} (a Secret of type kubernetes.io/tls)');
  const group = readText(scope, view, 'group', path);
  const kind = readText(scope, view, 'kind', path);
  const namespace = orNull(readOptional(scope, view, 'namespace', path));
  if (!isUsable(name)) return null;
  return { group, kind, name, namespace: namespace?.value ?? null, at: view.at };
}

function parseListenerTls(scope: Scope, view: MapView, path: string): Read<NonNullable<GatewayListener['tls']>> {
  checkFields(scope, view, fields.listenerTls, path);
  const mode = readEnum(scope, view, 'mode', path, tlsModes, 'E_LISTENER_INVALID', listenerIgnored, 'mode: Terminate (the default) ends TLS at the Gateway; Passthrough hands the TLS stream to the backend (TLSRoute)');
  const certificateRefs = eachMapping(scope, view, 'certificateRefs', path, (ref, refPath) => parseCertificateRef(scope, ref, refPath));
  if (mode === 'invalid') return 'invalid';
  return { mode, certificateRefs };
}

type LabelSelector = NonNullable<NonNullable<GatewayListener['allowedRoutes']>['selector']>;

function parseSelector(scope: Scope, view: MapView, path: string): Read<LabelSelector> {
  checkFields(scope, view, fields.labelSelector, path);
  const matchLabels = new Map<string, string>();
  for (const [key, value] of readStringMap(scope, view.fields.get('matchLabels'), joinPath(path, 'matchLabels'))) matchLabels.set(key, value.value);
  let usable = true;
  const matchExpressions = eachMapping(scope, view, 'matchExpressions', path, (expression, expressionPath) => {
    checkFields(scope, expression, fields.selectorRequirement, expressionPath);
    const key = readRequired(scope, expression, 'key', expressionPath, listenerIgnored, 'Name the label: {key: env, operator: In, values: [dev]}');
    const operator = readEnum(scope, expression, 'operator', expressionPath, selectorOperators, 'E_LISTENER_INVALID', listenerIgnored, 'In and NotIn compare the label with values; Exists and DoesNotExist test whether the namespace has the label');
    if (operator === null) {
      report(scope, 'E_MISSING_FIELD', `${joinPath(expressionPath, 'operator')} is missing; ${listenerIgnored}`, expression.at, 'Add operator: In, NotIn, Exists or DoesNotExist');
    }
    const values = readStrings(scope, expression, 'values', expressionPath);
    if (!isUsable(key) || !isUsable(operator)) {
      usable = false;
      return null;
    }
    return { key: key.value, operator: operator.value, values: values.map((v) => v.value), at: expression.at };
  });
  return usable ? { matchLabels, matchExpressions, at: view.at } : 'invalid';
}

function parseAllowedRoutes(scope: Scope, view: MapView, path: string): Read<NonNullable<GatewayListener['allowedRoutes']>> {
  checkFields(scope, view, fields.allowedRoutes, path);
  const namespacesPath = joinPath(path, 'namespaces');
  const namespaces = readObject(scope, view.fields.get('namespaces'), namespacesPath);
  let from: Read<Located<string>> = null;
  let selector: Read<LabelSelector> = null;
  if (namespaces !== null) {
    checkFields(scope, namespaces, fields.routeNamespaces, namespacesPath);
    from = readEnum(
      scope,
      namespaces,
      'from',
      namespacesPath,
      namespacesFrom,
      'E_LISTENER_INVALID',
      listenerIgnored,
      'from: Same (the default) takes routes of the Gateway\'s namespace, All of every namespace, Selector of the namespaces whose labels match namespaces.selector',
    );
    const selectorPath = joinPath(namespacesPath, 'selector');
    const selectorView = readObject(scope, namespaces.fields.get('selector'), selectorPath);
    if (selectorView !== null) selector = parseSelector(scope, selectorView, selectorPath);
  }
  const kinds = eachMapping(scope, view, 'kinds', path, (entry, entryPath) => {
    checkFields(scope, entry, fields.routeGroupKind, entryPath);
    const group = readText(scope, entry, 'group', entryPath);
    const kind = readRequired(scope, entry, 'kind', entryPath, 'the entry is ignored', 'Name a route kind: {kind: HTTPRoute}');
    return isUsable(kind) ? { group, kind } : null;
  });
  if (from === 'invalid' || selector === 'invalid') return 'invalid';
  return { from, selector, kinds };
}

function parseListener(scope: Scope, view: MapView, path: string): GatewayListener | null {
  checkFields(scope, view, fields.listener, path);
  const name = readRequired(scope, view, 'name', path, listenerIgnored, 'Name the listener (routes attach to it by sectionName), e.g. name: http');
  const hostname = readOptional(scope, view, 'hostname', path);
  let port = readInteger(scope, view, 'port', path, portRange, 'E_LISTENER_INVALID', listenerIgnored);
  if (port === null) {
    report(scope, 'E_MISSING_FIELD', `${joinPath(path, 'port')} is missing; ${listenerIgnored}`, view.at, 'Add the port the listener serves, e.g. port: 80');
    port = 'invalid';
  }
  const protocol = readRequired(scope, view, 'protocol', path, listenerIgnored, 'Add the protocol the listener serves: protocol: HTTP or protocol: HTTPS');
  const tlsPath = joinPath(path, 'tls');
  const tlsView = readObject(scope, view.fields.get('tls'), tlsPath);
  const tls = tlsView === null ? null : parseListenerTls(scope, tlsView, tlsPath);
  const routesPath = joinPath(path, 'allowedRoutes');
  const routesView = readObject(scope, view.fields.get('allowedRoutes'), routesPath);
  const allowedRoutes = routesView === null ? null : parseAllowedRoutes(scope, routesView, routesPath);
  if (!isUsable(name) || !isUsable(port) || !isUsable(protocol) || tls === 'invalid' || allowedRoutes === 'invalid') return null;
  return { name, hostname: orNull(hostname), port, protocol, tls, allowedRoutes, at: view.at };
}

export function parseGatewaySpec(scope: Scope, specField: Field | undefined, kindAt: SourcePosition): GatewaySpec {
  const spec = readObject(scope, specField, 'spec');
  if (spec === null) {
    if (!isPresent(specField)) {
      report(scope, 'E_MISSING_FIELD', 'spec is missing; the Gateway has no listener', specField?.at ?? kindAt, 'Add spec: {gatewayClassName: example, listeners: [{name: http, port: 80, protocol: HTTP}]}');
    }
    return { gatewayClassName: null, listeners: [] };
  }
  checkFields(scope, spec, fields.gatewaySpec, 'spec');
  const gatewayClassName = readRequired(scope, spec, 'gatewayClassName', 'spec', 'the Gateway belongs to no GatewayClass', 'Add the name of its GatewayClass, e.g. gatewayClassName: example');
  const listenersField = spec.fields.get('listeners');
  if (!hasItems(listenersField)) {
    report(scope, 'E_MISSING_FIELD', 'spec.listeners is missing or empty; the Gateway serves nothing', listenersField?.at ?? spec.at, 'Add a listener: listeners: [{name: http, port: 80, protocol: HTTP}]');
  }
  const listeners = eachMapping(scope, spec, 'listeners', 'spec', (view, path) => parseListener(scope, view, path));
  return { gatewayClassName: orNull(gatewayClassName), listeners };
}

// ---------------------------------------------------------------------------------------------
// routes: parentRefs and backendRefs

function parseParentRef(scope: Scope, view: MapView, path: string): ParentRef | null {
  checkFields(scope, view, fields.parentRef, path);
  const name = readRequired(scope, view, 'name', path, 'the parent reference is ignored', 'Name the Gateway the route attaches to: parentRefs: [{name: my-gateway}]');
  const group = readText(scope, view, 'group', path);
  const kind = readText(scope, view, 'kind', path);
  const namespace = orNull(readOptional(scope, view, 'namespace', path));
  const sectionName = readOptional(scope, view, 'sectionName', path);
  const port = readInteger(scope, view, 'port', path, portRange, 'E_PARENT_REF_INVALID', 'the parent reference is ignored');
  if (!isUsable(name) || sectionName === 'invalid' || port === 'invalid') return null;
  return { group, kind, namespace: namespace?.value ?? null, name, sectionName, port, at: view.at };
}

function isServiceRef(group: string | null, kind: string | null): boolean {
  return (group === null || group === '') && (kind === null || kind === 'Service');
}

/**
 * A backendRef of a rule (`withWeight`: weight and filters) or of a RequestMirror filter (a bare
 * object reference).
 */
function parseBackendRef(scope: Scope, view: MapView, path: string, route: RouteKind, withWeight: boolean): GatewayBackendRef | null {
  const ignored = 'the backendRef is ignored';
  checkFields(scope, view, withWeight ? fields.backendRef : fields.backendObjectRef, path);
  const name = readRequired(scope, view, 'name', path, ignored, 'Name the Service: backendRefs: [{name: web, port: 80}]');
  const group = readText(scope, view, 'group', path);
  const kind = readText(scope, view, 'kind', path);
  const namespace = readOptional(scope, view, 'namespace', path);
  let port = readInteger(scope, view, 'port', path, portRange, 'E_BACKEND_INVALID', ignored);
  // A CEL rule of BackendObjectReference: "Must have port for Service reference".
  if (port === null && isServiceRef(group, kind)) {
    report(scope, 'E_MISSING_FIELD', `${joinPath(path, 'port')} is missing, which a Service backendRef needs; ${ignored}`, view.at, 'Add the Service port, e.g. port: 80 (a port of the Service, not its targetPort)');
    port = 'invalid';
  }
  const weight = withWeight ? readInteger(scope, view, 'weight', path, weightRange, 'E_BACKEND_INVALID', ignored) : null;
  const filters = withWeight ? eachMapping(scope, view, 'filters', path, (filter, filterPath) => parseFilter(scope, filter, filterPath, route)) : [];
  if (!isUsable(name) || namespace === 'invalid' || port === 'invalid' || weight === 'invalid') return null;
  return { group, kind, namespace, name, port, weight, filters, at: view.at };
}

// ---------------------------------------------------------------------------------------------
// filters

const filterUnusable = 'the filter cannot be applied';

function unknownFilter(written: Located<string> | null, at: SourcePosition): HTTPRouteFilter {
  return { type: 'Unknown', written, at };
}

function parseHeaderModifier(scope: Scope, view: MapView, path: string): HeaderModifier {
  checkFields(scope, view, fields.headerModifier, path);
  const headers = (key: 'set' | 'add') =>
    eachMapping(scope, view, key, path, (header, headerPath) => {
      checkFields(scope, header, fields.header, headerPath);
      const name = readRequired(scope, header, 'name', headerPath, 'the header is left out', `Write ${key}: [{name: X-Env, value: dev}]`);
      const valueField = header.fields.get('value');
      const value = readString(scope, valueField, joinPath(headerPath, 'value'));
      if (value === null && !isPresent(valueField)) {
        report(scope, 'E_MISSING_FIELD', `${joinPath(headerPath, 'value')} is missing; the header is left out`, valueField?.at ?? header.at, `Write ${key}: [{name: X-Env, value: dev}]`);
      }
      return isUsable(name) && value !== null ? { name, value } : null;
    });
  return { set: headers('set'), add: headers('add'), remove: readStrings(scope, view, 'remove', path) };
}

function parsePathModifier(scope: Scope, view: MapView, path: string): PathModifier | null {
  checkFields(scope, view, fields.pathModifier, path);
  const type = readEnum(
    scope,
    view,
    'type',
    path,
    pathModifierTypes,
    'E_FILTER_INVALID',
    filterUnusable,
    'ReplaceFullPath replaces the whole path with replaceFullPath; ReplacePrefixMatch replaces the matched PathPrefix with replacePrefixMatch',
  );
  if (type === null) {
    report(scope, 'E_MISSING_FIELD', `${joinPath(path, 'type')} is missing; ${filterUnusable}`, view.at, 'Write path: {type: ReplacePrefixMatch, replacePrefixMatch: /} or path: {type: ReplaceFullPath, replaceFullPath: /new}');
  }
  const replaceFullPath = readString(scope, view.fields.get('replaceFullPath'), joinPath(path, 'replaceFullPath'));
  const replacePrefixMatch = readString(scope, view.fields.get('replacePrefixMatch'), joinPath(path, 'replacePrefixMatch'));
  if (!isUsable(type)) return null;
  // CEL rules of HTTPPathModifier: the field of the type is required, the other one is refused.
  const needed = type.value === 'ReplaceFullPath' ? 'replaceFullPath' : 'replacePrefixMatch';
  const other = type.value === 'ReplaceFullPath' ? 'replacePrefixMatch' : 'replaceFullPath';
  let usable = true;
  if (!isPresent(view.fields.get(needed))) {
    report(scope, 'E_FILTER_INVALID', `${path} has type ${type.value} but no ${needed}; ${filterUnusable}`, view.at, `Add the new path: ${needed}: /`);
    usable = false;
  }
  if (view.fields.has(other)) {
    const otherType = other === 'replaceFullPath' ? 'ReplaceFullPath' : 'ReplacePrefixMatch';
    report(scope, 'E_FILTER_INVALID', `${joinPath(path, other)} is set, but type is ${type.value}; ${filterUnusable}`, view.fields.get(other)?.keyAt ?? view.at, `Keep one: ${needed} with type: ${type.value}, or ${other} with type: ${otherType}`);
    usable = false;
  }
  const chosen = type.value === 'ReplaceFullPath' ? replaceFullPath : replacePrefixMatch;
  if (!usable || chosen === null) return null;
  return { type, replaceFullPath, replacePrefixMatch, at: view.at };
}

function readPathModifier(scope: Scope, owner: MapView, path: string): Read<PathModifier> {
  const pathPath = joinPath(path, 'path');
  const field = owner.fields.get('path');
  const view = readObject(scope, field, pathPath);
  if (view === null) return isPresent(field) ? 'invalid' : null;
  return parsePathModifier(scope, view, pathPath) ?? 'invalid';
}

function parseRedirect(scope: Scope, view: MapView, path: string, at: SourcePosition): HTTPRouteFilter | null {
  checkFields(scope, view, fields.redirect, path);
  const scheme = readEnum(scope, view, 'scheme', path, redirectSchemes, 'E_FILTER_INVALID', filterUnusable, 'Schemes are lower case: scheme: https (or leave it out to keep the request\'s scheme)');
  const hostname = readOptional(scope, view, 'hostname', path);
  const pathModifier = readPathModifier(scope, view, path);
  const port = readInteger(scope, view, 'port', path, portRange, 'E_FILTER_INVALID', filterUnusable);
  const statusCode = readStatusCode(scope, view, path);
  if (scheme === 'invalid' || hostname === 'invalid' || pathModifier === 'invalid' || port === 'invalid' || statusCode === 'invalid') return null;
  return { type: 'RequestRedirect', scheme, hostname, path: pathModifier, port, statusCode, at };
}

function readStatusCode(scope: Scope, view: MapView, path: string): Read<Located<number>> {
  const field = view.fields.get('statusCode');
  if (!isPresent(field)) return null;
  const value = field.value;
  const fieldPath = joinPath(path, 'statusCode');
  if (!isScalar(value) || typeof value.value !== 'number') {
    reportType(scope, field, fieldPath, 'integer', value);
    return 'invalid';
  }
  const code = redirectStatusCodes.find((c) => c === value.value);
  if (code !== undefined) return { value: code, at: field.at };
  report(
    scope,
    'E_FILTER_INVALID',
    `${fieldPath} ${scalarText(value)} is not ${oneOf(redirectStatusCodes)}; ${filterUnusable}`,
    field.at,
    'Write statusCode: 301 (moved permanently) or 302 (found, the default); 303, 307 and 308 are allowed too',
  );
  return 'invalid';
}

function parseRewrite(scope: Scope, view: MapView, path: string, at: SourcePosition): HTTPRouteFilter | null {
  checkFields(scope, view, fields.rewrite, path);
  const hostname = readOptional(scope, view, 'hostname', path);
  const pathModifier = readPathModifier(scope, view, path);
  if (hostname === 'invalid' || pathModifier === 'invalid') return null;
  return { type: 'URLRewrite', hostname, path: pathModifier, at };
}

function parseMirror(scope: Scope, view: MapView, path: string, route: RouteKind, at: SourcePosition): HTTPRouteFilter | null {
  checkFields(scope, view, fields.mirror, path);
  const refPath = joinPath(path, 'backendRef');
  const refField = view.fields.get('backendRef');
  const refView = readObject(scope, refField, refPath);
  if (!isPresent(refField)) {
    report(scope, 'E_MISSING_FIELD', `${refPath} is missing; the filter mirrors nothing`, refField?.at ?? view.at, 'Name the Service that receives the copies: backendRef: {name: shadow, port: 80}');
  }
  const backendRef = refView === null ? null : parseBackendRef(scope, refView, refPath, route, false);
  const percent = readInteger(scope, view, 'percent', path, percentRange, 'E_FILTER_INVALID', filterUnusable);
  const fraction = readFraction(scope, view, path);
  if (isPresent(view.fields.get('percent')) && isPresent(view.fields.get('fraction'))) {
    report(scope, 'E_FILTER_INVALID', `${path} sets both percent and fraction; ${filterUnusable}`, view.at, 'Keep one: percent: 50, or fraction: {numerator: 1, denominator: 2}');
    return null;
  }
  if (percent === 'invalid' || fraction === 'invalid') return null;
  return { type: 'RequestMirror', backendRef, percent: percent?.value ?? fraction, at };
}

/** `fraction: {numerator, denominator (100)}` as a percentage. */
function readFraction(scope: Scope, owner: MapView, path: string): Read<number> {
  const fractionPath = joinPath(path, 'fraction');
  const field = owner.fields.get('fraction');
  const view = readObject(scope, field, fractionPath);
  if (view === null) return isPresent(field) ? 'invalid' : null;
  checkFields(scope, view, fields.fraction, fractionPath);
  const numerator = readInteger(scope, view, 'numerator', fractionPath, { min: 0, max: 2 ** 31 - 1, what: 'a whole number from 0', example: 1 }, 'E_FILTER_INVALID', filterUnusable);
  const denominator = readInteger(scope, view, 'denominator', fractionPath, { min: 1, max: 2 ** 31 - 1, what: 'a whole number from 1', example: 100 }, 'E_FILTER_INVALID', filterUnusable);
  if (numerator === null) {
    report(scope, 'E_MISSING_FIELD', `${joinPath(fractionPath, 'numerator')} is missing; ${filterUnusable}`, view.at, 'Write fraction: {numerator: 1, denominator: 100}');
    return 'invalid';
  }
  if (numerator === 'invalid' || denominator === 'invalid') return 'invalid';
  const over = denominator?.value ?? 100;
  if (numerator.value > over) {
    report(scope, 'E_FILTER_INVALID', `${fractionPath}: numerator ${numerator.value} is greater than denominator ${over}; ${filterUnusable}`, numerator.at, 'The numerator must be at most the denominator (100 when not written)');
    return 'invalid';
  }
  return (numerator.value / over) * 100;
}

function parseExtensionRef(scope: Scope, view: MapView, path: string, at: SourcePosition): HTTPRouteFilter | null {
  checkFields(scope, view, fields.extensionRef, path);
  const hint = 'Name the filter resource of your controller: extensionRef: {group: example.com, kind: MyFilter, name: my-filter}';
  const group = readText(scope, view, 'group', path);
  const kind = readRequired(scope, view, 'kind', path, filterUnusable, hint);
  const name = readRequired(scope, view, 'name', path, filterUnusable, hint);
  if (!isUsable(kind) || !isUsable(name)) return null;
  return { type: 'ExtensionRef', group, kind: kind.value, name: name.value, at };
}

function parseCors(scope: Scope, field: Field & { readonly value: YamlValue }, view: MapView, path: string, at: SourcePosition): HTTPRouteFilter {
  checkFields(scope, view, fields.cors, path);
  return { type: 'CORS', raw: plainValue(scope, field.value, path, { nodes: maxPlainNodes }), at };
}

/** The configuration of a filter of a known type; null after a diagnostic (the filter is unusable). */
function parseFilterConfig(scope: Scope, type: FilterType, field: Field & { readonly value: YamlValue }, path: string, route: RouteKind, at: SourcePosition): HTTPRouteFilter | null {
  const view = readObject(scope, field, path);
  if (view === null) return null;
  switch (type) {
    case 'RequestHeaderModifier':
    case 'ResponseHeaderModifier':
      return { type, modifier: parseHeaderModifier(scope, view, path), at };
    case 'RequestRedirect':
      return parseRedirect(scope, view, path, at);
    case 'URLRewrite':
      return parseRewrite(scope, view, path, at);
    case 'RequestMirror':
      return parseMirror(scope, view, path, route, at);
    case 'ExtensionRef':
      return parseExtensionRef(scope, view, path, at);
    case 'CORS':
      return parseCors(scope, field, view, path, at);
  }
}

function parseFilter(scope: Scope, view: MapView, path: string, route: RouteKind): HTTPRouteFilter {
  const allowed = route === 'HTTPRoute' ? httpFilterTypes : grpcFilterTypes;
  const known: readonly string[] = route === 'HTTPRoute' ? fields.httpFilter : fields.grpcFilter;
  checkFields(scope, view, known, path);
  const typeField = view.fields.get('type');
  const written = readString(scope, typeField, joinPath(path, 'type'));
  if (written === null || written.value === '') {
    if (!isPresent(typeField) || written !== null) {
      report(scope, 'E_MISSING_FIELD', `${joinPath(path, 'type')} is missing; ${filterUnusable}`, typeField?.at ?? view.at, `Write the type and its settings, e.g. type: RequestHeaderModifier with ${filterExamples.RequestHeaderModifier}`);
    }
    return unknownFilter(null, view.at);
  }
  const type = allowed.find((t) => t === written.value);
  if (type === undefined) {
    reportUnknownFilterType(scope, written, path, route, allowed);
    return unknownFilter(written, view.at);
  }
  const configKey = filterConfigKeys[type];
  // CEL rules of the filter: the API server refuses the settings of another type (unknown fields were reported above).
  let stray = false;
  for (const [other, key] of Object.entries(filterConfigKeys)) {
    const field = view.fields.get(key);
    if (other === type || field === undefined || !known.includes(key)) continue;
    report(scope, 'E_FILTER_INVALID', `${joinPath(path, key)} is set, but type is ${type}, which reads ${configKey} only; ${filterUnusable}`, field.keyAt, `Move it into a filter of its own with type: ${other}, or remove it`);
    stray = true;
  }
  const configField = view.fields.get(configKey);
  if (!isPresent(configField)) {
    report(scope, 'E_MISSING_FIELD', `${joinPath(path, configKey)} is missing, which type ${type} needs; ${filterUnusable}`, configField?.at ?? view.at, `Add the settings of the filter, e.g. ${filterExamples[type]}`);
    return unknownFilter(written, view.at);
  }
  const filter = parseFilterConfig(scope, type, configField, joinPath(path, configKey), route, view.at);
  return filter === null || stray ? unknownFilter(written, view.at) : filter;
}

function reportUnknownFilterType(scope: Scope, written: Located<string>, path: string, route: RouteKind, allowed: readonly FilterType[]): void {
  const typePath = joinPath(path, 'type');
  if (unsupportedFilterTypes.includes(written.value)) {
    report(scope, 'E_FILTER_TYPE_UNKNOWN', `${typePath} ${written.value} is not emulated by ingress-dev; ${filterUnusable}`, written.at, 'Remove the filter for local runs, or map the route to a backend that does what it does');
    return;
  }
  if (httpFilterTypes.some((t) => t === written.value)) {
    report(scope, 'E_FILTER_TYPE_UNKNOWN', `${typePath} ${written.value} is not a filter type of ${route}; ${filterUnusable}`, written.at, `Filter types of ${route}: ${allowed.join(', ')}`);
    return;
  }
  report(
    scope,
    'E_FILTER_TYPE_UNKNOWN',
    `${typePath} "${written.value}" is not a filter type of ${route}; ${filterUnusable}`,
    written.at,
    `${didYouMean(written.value, allowed)}Filter types of ${route}: ${allowed.join(', ')}. A filter of your controller is written type: ExtensionRef with ${filterExamples.ExtensionRef}`,
  );
}

// ---------------------------------------------------------------------------------------------
// matches

const matchIgnored = 'the match is ignored';
type ValueMatch = HTTPRouteMatch['headers'][number];

/** A header or query parameter match; 'invalid' makes the whole match unusable (a dropped condition would widen it). */
function parseValueMatch(scope: Scope, view: MapView, path: string, what: 'header' | 'query parameter'): ValueMatch | 'invalid' {
  checkFields(scope, view, fields.valueMatch, path);
  const type = readEnum(scope, view, 'type', path, valueMatchTypes, 'E_MATCH_INVALID', matchIgnored, `type: Exact (the default) compares the ${what} with value; RegularExpression matches value as a regular expression`);
  const example = what === 'header' ? '{name: X-Version, value: "2"}' : '{name: debug, value: "1"}';
  const name = readRequired(scope, view, 'name', path, matchIgnored, `Name the ${what}: ${example}`);
  const value = readRequired(scope, view, 'value', path, matchIgnored, `Add the value to compare with: ${example}`);
  if (type === 'invalid' || !isUsable(name) || !isUsable(value)) return 'invalid';
  return { type, name, value, at: view.at };
}

function parseValueMatches(scope: Scope, owner: MapView, key: 'headers' | 'queryParams', path: string): ValueMatch[] | 'invalid' {
  let usable = true;
  const what = key === 'headers' ? 'header' : 'query parameter';
  const matches = eachMapping(scope, owner, key, path, (view, itemPath) => {
    const match = parseValueMatch(scope, view, itemPath, what);
    if (match !== 'invalid') return match;
    usable = false;
    return null;
  });
  return usable ? matches : 'invalid';
}

function parsePathMatch(scope: Scope, owner: MapView, path: string): Read<NonNullable<HTTPRouteMatch['path']>> {
  const pathPath = joinPath(path, 'path');
  const field = owner.fields.get('path');
  const view = readObject(scope, field, pathPath);
  if (view === null) return isPresent(field) ? 'invalid' : null;
  checkFields(scope, view, fields.pathMatch, pathPath);
  const type = readEnum(
    scope,
    view,
    'type',
    pathPath,
    pathMatchTypes,
    'E_MATCH_INVALID',
    matchIgnored,
    'PathPrefix (the default) matches the path and everything below it, by "/" segments; Exact this path only; RegularExpression a regular expression',
  );
  const value = readString(scope, view.fields.get('value'), joinPath(pathPath, 'value'));
  if (type === 'invalid' || (value === null && isPresent(view.fields.get('value')))) return 'invalid';
  return { type, value, at: view.at };
}

function parseHTTPMatch(scope: Scope, view: MapView, path: string): HTTPRouteMatch | 'invalid' {
  checkFields(scope, view, fields.httpMatch, path);
  const pathMatch = parsePathMatch(scope, view, path);
  const headers = parseValueMatches(scope, view, 'headers', path);
  const queryParams = parseValueMatches(scope, view, 'queryParams', path);
  const method = readEnum(scope, view, 'method', path, httpMethods, 'E_MATCH_INVALID', matchIgnored, `Methods are upper case: ${httpMethods.join(', ')}`);
  if (pathMatch === 'invalid' || headers === 'invalid' || queryParams === 'invalid' || method === 'invalid') return 'invalid';
  return { path: pathMatch, headers, queryParams, method, at: view.at };
}

function parseGRPCMatch(scope: Scope, view: MapView, path: string): GRPCRouteMatch | 'invalid' {
  checkFields(scope, view, fields.grpcMatch, path);
  const methodPath = joinPath(path, 'method');
  const methodField = view.fields.get('method');
  const methodView = readObject(scope, methodField, methodPath);
  let method: Read<NonNullable<GRPCRouteMatch['method']>> = isPresent(methodField) && methodView === null ? 'invalid' : null;
  if (methodView !== null) {
    checkFields(scope, methodView, fields.grpcMethod, methodPath);
    const type = readEnum(scope, methodView, 'type', methodPath, valueMatchTypes, 'E_MATCH_INVALID', matchIgnored, 'type: Exact (the default) compares service and method as written; RegularExpression matches them as regular expressions');
    const service = readOptional(scope, methodView, 'service', methodPath);
    const name = readOptional(scope, methodView, 'method', methodPath);
    // A CEL rule of GRPCMethodMatch: "One or both of 'service' or 'method' must be specified".
    if (service === null && name === null) {
      report(scope, 'E_MISSING_FIELD', `${methodPath} names neither a service nor a method; ${matchIgnored}`, methodView.at, 'Write method: {service: helloworld.Greeter, method: SayHello}, or leave out method: to match every call');
      method = 'invalid';
    } else if (type === 'invalid' || service === 'invalid' || name === 'invalid') {
      method = 'invalid';
    } else {
      method = { type, service, method: name, at: methodView.at };
    }
  }
  const headers = parseValueMatches(scope, view, 'headers', path);
  if (method === 'invalid' || headers === 'invalid') return 'invalid';
  return { method, headers, at: view.at };
}

/**
 * The matches of a rule. When every written match is unusable the rule is left out, with a
 * diagnostic: a rule with no match would match every request.
 */
function parseMatches<M>(scope: Scope, rule: MapView, path: string, parse: (view: MapView, itemPath: string) => M | 'invalid'): M[] | null {
  let invalid = 0;
  const matches = eachMapping(scope, rule, 'matches', path, (view, itemPath) => {
    const match = parse(view, itemPath);
    if (match !== 'invalid') return match;
    invalid++;
    return null;
  });
  if (invalid === 0 || matches.length > 0) return matches;
  report(
    scope,
    'E_RULE_NO_MATCH',
    `${path} has no usable match; the rule is ignored (with no match it would take every request)`,
    rule.fields.get('matches')?.keyAt ?? rule.at,
    'Fix the matches reported above',
  );
  return null;
}

// ---------------------------------------------------------------------------------------------
// HTTPRoute and GRPCRoute

function parseTimeouts(scope: Scope, rule: MapView, path: string): HTTPRouteRule['timeouts'] {
  const timeoutsPath = joinPath(path, 'timeouts');
  const view = readObject(scope, rule.fields.get('timeouts'), timeoutsPath);
  if (view === null) return null;
  checkFields(scope, view, fields.timeouts, timeoutsPath);
  return {
    request: orNull(readOptional(scope, view, 'request', timeoutsPath)),
    backendRequest: orNull(readOptional(scope, view, 'backendRequest', timeoutsPath)),
  };
}

function parseRuleParts(scope: Scope, view: MapView, path: string, route: RouteKind): Pick<HTTPRouteRule, 'name' | 'filters' | 'backendRefs'> {
  return {
    name: orNull(readOptional(scope, view, 'name', path)),
    filters: eachMapping(scope, view, 'filters', path, (filter, filterPath) => parseFilter(scope, filter, filterPath, route)),
    backendRefs: eachMapping(scope, view, 'backendRefs', path, (ref, refPath) => parseBackendRef(scope, ref, refPath, route, true)),
  };
}

function parseHTTPRule(scope: Scope, view: MapView, path: string): HTTPRouteRule | null {
  checkFields(scope, view, fields.httpRule, path);
  const matches = parseMatches(scope, view, path, (match, matchPath) => parseHTTPMatch(scope, match, matchPath));
  const parts = parseRuleParts(scope, view, path, 'HTTPRoute');
  const timeouts = parseTimeouts(scope, view, path);
  if (matches === null) return null;
  return { ...parts, matches, timeouts, at: view.at };
}

function parseGRPCRule(scope: Scope, view: MapView, path: string): GRPCRouteRule | null {
  checkFields(scope, view, fields.grpcRule, path);
  const matches = parseMatches(scope, view, path, (match, matchPath) => parseGRPCMatch(scope, match, matchPath));
  const parts = parseRuleParts(scope, view, path, 'GRPCRoute');
  if (matches === null) return null;
  return { ...parts, matches, at: view.at };
}

function parseRouteSpec<R>(
  scope: Scope,
  specField: Field | undefined,
  kindAt: SourcePosition,
  route: RouteKind,
  parseRule: (view: MapView, path: string) => R | null,
): { readonly parentRefs: ParentRef[]; readonly hostnames: Located<string>[]; readonly rules: R[] } {
  const spec = readObject(scope, specField, 'spec');
  if (spec === null) {
    if (!isPresent(specField)) {
      report(scope, 'E_MISSING_FIELD', `spec is missing; the ${route} routes nothing`, specField?.at ?? kindAt, 'Add spec: {parentRefs: [{name: my-gateway}], rules: [{backendRefs: [{name: web, port: 80}]}]}');
    }
    return { parentRefs: [], hostnames: [], rules: [] };
  }
  checkFields(scope, spec, fields.routeSpec, 'spec');
  return {
    parentRefs: eachMapping(scope, spec, 'parentRefs', 'spec', (view, path) => parseParentRef(scope, view, path)),
    hostnames: readStrings(scope, spec, 'hostnames', 'spec'),
    rules: eachMapping(scope, spec, 'rules', 'spec', parseRule),
  };
}

export function parseHTTPRouteSpec(scope: Scope, specField: Field | undefined, kindAt: SourcePosition): HTTPRouteSpec {
  return parseRouteSpec(scope, specField, kindAt, 'HTTPRoute', (view, path) => parseHTTPRule(scope, view, path));
}

export function parseGRPCRouteSpec(scope: Scope, specField: Field | undefined, kindAt: SourcePosition): GRPCRouteSpec {
  return parseRouteSpec(scope, specField, kindAt, 'GRPCRoute', (view, path) => parseGRPCRule(scope, view, path));
}

// ---------------------------------------------------------------------------------------------
// ReferenceGrant

const groupHint = 'Write group: "" for the core group (Service, Secret), group: gateway.networking.k8s.io for routes and Gateways';

/** `group` is required and may be "" (the core group). */
function readGroup(scope: Scope, view: MapView, path: string, consequence: string): Read<string> {
  const field = view.fields.get('group');
  const value = readString(scope, field, joinPath(path, 'group'));
  if (value !== null) return value.value;
  // `group:` with nothing after it is YAML null, which JSON decoding reads as "".
  if (field !== undefined && field.value === null) return '';
  if (isPresent(field)) return 'invalid';
  report(scope, 'E_MISSING_FIELD', `${joinPath(path, 'group')} is missing; ${consequence}`, view.at, groupHint);
  return 'invalid';
}

export function parseReferenceGrantSpec(scope: Scope, specField: Field | undefined, kindAt: SourcePosition): ReferenceGrantSpec {
  const spec = readObject(scope, specField, 'spec');
  if (spec === null) {
    if (!isPresent(specField)) {
      report(scope, 'E_MISSING_FIELD', 'spec is missing; the ReferenceGrant allows nothing', specField?.at ?? kindAt, 'Add spec: {from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: web}], to: [{group: "", kind: Service}]}');
    }
    return { from: [], to: [] };
  }
  checkFields(scope, spec, fields.referenceGrantSpec, 'spec');
  for (const key of ['from', 'to'] as const) {
    const field = spec.fields.get(key);
    if (!hasItems(field)) report(scope, 'E_MISSING_FIELD', `spec.${key} is missing or empty; the ReferenceGrant allows nothing`, field?.at ?? spec.at, key === 'from' ? 'Add who may refer: from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: web}]' : 'Add what they may refer to: to: [{group: "", kind: Service}]');
  }
  const ignored = 'the entry is ignored';
  const from = eachMapping(scope, spec, 'from', 'spec', (view, path) => {
    checkFields(scope, view, fields.grantFrom, path);
    const group = readGroup(scope, view, path, ignored);
    const kind = readRequired(scope, view, 'kind', path, ignored, 'Name the kind that may refer, e.g. kind: HTTPRoute');
    const namespace = readRequired(scope, view, 'namespace', path, ignored, 'Name the namespace of the routes that may refer, e.g. namespace: web');
    if (!isUsable(group) || !isUsable(kind) || !isUsable(namespace)) return null;
    return { group, kind: kind.value, namespace: namespace.value, at: view.at };
  });
  const to = eachMapping(scope, spec, 'to', 'spec', (view, path) => {
    checkFields(scope, view, fields.grantTo, path);
    const group = readGroup(scope, view, path, ignored);
    const kind = readRequired(scope, view, 'kind', path, ignored, 'Name the kind that may be referred to, e.g. kind: Service');
    const name = readOptional(scope, view, 'name', path);
    if (!isUsable(group) || !isUsable(kind) || name === 'invalid') return null;
    return { group, kind: kind.value, name: name?.value ?? null, at: view.at };
  });
  return { from, to };
}

// ---------------------------------------------------------------------------------------------
// Namespace

export function parseNamespaceSpec(scope: Scope, specField: Field | undefined): void {
  const spec = readObject(scope, specField, 'spec');
  if (spec !== null) checkFields(scope, spec, ['finalizers'], 'spec');
}
