import { isSeq } from 'yaml';
import type { Diagnostic, SourcePosition } from '../diagnostics/diagnostic.js';
import { sortDiagnostics } from '../diagnostics/diagnostic.js';
import { looksLikeObject, plainObject, readDocuments, readDocumentsOfPart, type ReadableDocument } from './documents.js';
import {
  gatewayDeprecation,
  parseGatewayClassSpec,
  parseGatewaySpec,
  parseGRPCRouteSpec,
  parseHTTPRouteSpec,
  parseNamespaceSpec,
  parseReferenceGrantSpec,
} from './gateway.js';
import { defaultClassAnnotation, parseIngressClassSpec } from './ingress-class.js';
import { parseIngressSpec } from './ingress.js';
import { classify, expectedApiVersion, expectedKind, groupOf, type Classified } from './kinds.js';
import { parseMetadata, toObjectMeta, type MetadataRules, type ParsedMetadata } from './metadata.js';
import { splitAtDocumentMarkers, type FilePart } from './parts.js';
import { parseServiceSpec } from './service.js';
import type {
  Gateway,
  GatewayClass,
  GRPCRoute,
  HTTPRoute,
  Ingress,
  IngressClass,
  Namespace,
  OtherResource,
  ReferenceGrant,
  Resource,
  ResourceSet,
  Service,
  SourceFile,
} from './types.js';
import {
  checkFields,
  mapView,
  nodePosition,
  positionAt,
  readList,
  readString,
  report,
  reportAt,
  spanPosition,
  type DocContext,
  type Field,
  type MapView,
  type Scope,
  type YamlValue,
} from './yaml-node.js';

/**
 * Text → typed resources, with no I/O: every YAML document of every file, `kind: List` items
 * included. Nothing a user writes makes it throw; what cannot be used is reported and left out,
 * and everything else is kept.
 */

export interface ParseResult {
  readonly resources: ResourceSet;
  readonly diagnostics: Diagnostic[];
}

/**
 * One file read on its own: its resources before they are numbered across the project, and its
 * own diagnostics. Depends only on the file's name and text, so a loader may keep it while the
 * file does not change (hot reload re-parses only the files that did).
 */
export interface ParsedFile {
  readonly file: string;
  readonly entries: readonly ParsedEntry[];
  readonly diagnostics: readonly Diagnostic[];
}

/** A resource of one file, with what the merge needs to number it and find duplicates. */
export interface ParsedEntry {
  /** kind/namespace/name (group-qualified for other kinds); null when it cannot clash. */
  readonly key: string | null;
  /** How messages name it: `Ingress default/web`. */
  readonly subject: string;
  readonly nameAt: SourcePosition;
  /** `metadata.order` is set by the merge. */
  readonly resource: Resource;
}

const maxListDepth = 3;

interface Collector {
  readonly entries: ParsedEntry[];
  readonly diagnostics: Diagnostic[];
}

export function parseManifests(files: readonly SourceFile[]): ParseResult {
  return mergeParsedFiles(files.map(parseSourceFile));
}

/** Text of one file → its resources and diagnostics. Nothing a user writes makes it throw. */
export function parseSourceFile(source: SourceFile): ParsedFile {
  const out: Collector = { entries: [], diagnostics: [] };
  guarded(out, { file: source.file, line: 1, col: 1 }, () => parseFile(source, out));
  return { file: source.file, entries: out.entries, diagnostics: out.diagnostics };
}

/**
 * The part of parsing that spans files, cheap enough to run on every reload: numbers resources
 * in file order (files as given, documents in file order) and keeps the first of two objects
 * with the same kind, namespace and name, reporting the second, so the error points at the copy
 * to remove. (`kubectl apply -f DIR` would let the later file replace the earlier one; either
 * way one of them is not served as written.)
 */
export function mergeParsedFiles(files: readonly ParsedFile[]): ParseResult {
  const ingresses: Ingress[] = [];
  const ingressClasses: IngressClass[] = [];
  const services: Service[] = [];
  const gatewayClasses: GatewayClass[] = [];
  const gateways: Gateway[] = [];
  const httpRoutes: HTTPRoute[] = [];
  const grpcRoutes: GRPCRoute[] = [];
  const referenceGrants: ReferenceGrant[] = [];
  const namespaces: Namespace[] = [];
  const others: OtherResource[] = [];
  const diagnostics: Diagnostic[] = [];
  const seen = new Map<string, SourcePosition>();
  let order = 0;
  for (const file of files) {
    diagnostics.push(...file.diagnostics);
    for (const entry of file.entries) {
      const first = entry.key === null ? undefined : seen.get(entry.key);
      if (first !== undefined) {
        reportAt(
          { diagnostics },
          'E_DUPLICATE_RESOURCE',
          `${entry.subject}: defined twice; this one is ignored (the first is at ${first.file}:${first.line}:${first.col})`,
          entry.nameAt,
          'Rename one of them (metadata.name) or delete the duplicate',
        );
        continue;
      }
      if (entry.key !== null) seen.set(entry.key, entry.nameAt);
      const resource = numbered(entry.resource, order++);
      switch (resource.kind) {
        case 'Ingress':
          ingresses.push(resource);
          break;
        case 'IngressClass':
          ingressClasses.push(resource);
          break;
        case 'Service':
          services.push(resource);
          break;
        case 'GatewayClass':
          gatewayClasses.push(resource);
          break;
        case 'Gateway':
          gateways.push(resource);
          break;
        case 'HTTPRoute':
          httpRoutes.push(resource);
          break;
        case 'GRPCRoute':
          grpcRoutes.push(resource);
          break;
        case 'ReferenceGrant':
          referenceGrants.push(resource);
          break;
        case 'Namespace':
          namespaces.push(resource);
          break;
        case 'Other':
          others.push(resource);
      }
    }
  }
  return {
    resources: { ingresses, ingressClasses, services, gatewayClasses, gateways, httpRoutes, grpcRoutes, referenceGrants, namespaces, others },
    diagnostics: sortDiagnostics(diagnostics),
  };
}

/** The same resource with its project-wide order; unchanged objects are reused as they are. */
function numbered<R extends Resource>(resource: R, order: number): R {
  return resource.metadata.order === order ? resource : { ...resource, metadata: { ...resource.metadata, order } };
}

/** The last line of defence: an exception is a bug, reported against the document, never a crash. */
function guarded(out: Collector, at: SourcePosition, work: () => void): void {
  try {
    work();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    reportAt(
      out,
      'E_INTERNAL',
      `ingress-dev failed to read this document (${message.slice(0, 200)}); it is skipped`,
      at,
      'This is a bug in ingress-dev: please report it with the document. The rest of the folder was read.',
    );
  }
}

// ---------------------------------------------------------------------------------------------
// files and objects

function parseFile(source: SourceFile, out: Collector): void {
  const before = out.diagnostics.length;
  const documents = readDocuments(source, out.diagnostics);
  if (isOtherToolsFile(documents.length, documents.some(looksLikeObject), out.diagnostics.length === before, source.file, out)) return;
  for (const document of documents) parseDocument(source.file, document, out);
}

/**
 * A file where no document has apiVersion, kind or metadata is some other tool's YAML
 * (docker-compose.yml, Helm values, CI config) that happens to live in the folder.
 */
function isOtherToolsFile(documents: number, anyObject: boolean, yamlClean: boolean, file: string, out: Collector): boolean {
  if (documents === 0 || anyObject) return false;
  if (yamlClean) {
    reportAt(
      out,
      'I_FILE_SKIPPED',
      `${file} holds no Kubernetes objects (no document has apiVersion and kind); it is skipped`,
      { file, line: 1, col: 1 },
      'If it should hold manifests, start each document with apiVersion: and kind:',
    );
  }
  return true;
}

function parseDocument(file: string, document: ReadableDocument, out: Collector): void {
  const at = nodePosition(document.ctx, document.value, { file, line: 1, col: 1 });
  guarded(out, at, () => parseObject(document.ctx, document.value, document.js, 0, out));
}

// ---------------------------------------------------------------------------------------------
// files read part by part (hot reload)

/** What one part of a file (see parts.ts) gives; depends only on its text and first line. */
interface ParsedPart {
  readonly documents: number;
  readonly anyObject: boolean;
  /** What reading the YAML reported (unresolved aliases, alias limits). */
  readonly yamlDiagnostics: readonly Diagnostic[];
  /** What reading the objects reported, and their resources, as if no other part existed. */
  readonly diagnostics: readonly Diagnostic[];
  readonly entries: readonly ParsedEntry[];
}

/** The parts of a file's last parse, by first line and text, for `parseSourceFileReusing`. */
export interface PartCache {
  readonly parts: ReadonlyMap<string, ParsedPart>;
}

const noParts: PartCache = { parts: new Map() };

/**
 * The same result as `parseSourceFile`, reusing the parts of `previous` (the cache of an earlier
 * text of the same file) that are unchanged and start on the same line: an edit of one document
 * of a big file re-reads that document only. Files that cannot be cut safely, and parts YAML
 * reports a problem in, are read whole, as `parseSourceFile` does.
 */
export function parseSourceFileReusing(source: SourceFile, previous: PartCache = noParts): { readonly parsed: ParsedFile; readonly cache: PartCache } {
  const split = splitAtDocumentMarkers(source.text);
  if (split === null || split.length < 2) return { parsed: parseSourceFile(source), cache: noParts };
  const parts = new Map<string, ParsedPart>();
  const read: ParsedPart[] = [];
  try {
    for (const part of split) {
      const key = `${part.firstLine}:${part.text}`;
      const parsed = previous.parts.get(key) ?? parts.get(key) ?? parsePart(source.file, part);
      if (parsed === null) return { parsed: parseSourceFile(source), cache: noParts };
      parts.set(key, parsed);
      read.push(parsed);
    }
  } catch {
    // A bug: the whole-file parse reports it where it always has.
    return { parsed: parseSourceFile(source), cache: noParts };
  }
  const yamlDiagnostics = read.flatMap((p) => p.yamlDiagnostics);
  const out: Collector = { entries: [], diagnostics: [...yamlDiagnostics] };
  const documents = read.reduce((n, p) => n + p.documents, 0);
  if (!isOtherToolsFile(documents, read.some((p) => p.anyObject), yamlDiagnostics.length === 0, source.file, out)) {
    for (const part of read) {
      out.diagnostics.push(...part.diagnostics);
      out.entries.push(...part.entries);
    }
  }
  return { parsed: { file: source.file, entries: out.entries, diagnostics: out.diagnostics }, cache: { parts } };
}

function parsePart(file: string, part: FilePart): ParsedPart | null {
  const diagnostics: Diagnostic[] = [];
  const documents = readDocumentsOfPart({ file, text: part.text }, part.firstLine, diagnostics);
  if (documents === null) return null;
  const yamlDiagnostics = diagnostics.slice();
  // Documents report through their context, into `diagnostics`: the part's own messages follow.
  const out: Collector = { entries: [], diagnostics };
  for (const document of documents) parseDocument(file, document, out);
  return {
    documents: documents.length,
    anyObject: documents.some(looksLikeObject),
    yamlDiagnostics,
    diagnostics: diagnostics.slice(yamlDiagnostics.length),
    entries: out.entries,
  };
}

function reportMissingHeader(scope: Scope, view: MapView, at: SourcePosition, apiVersion: string | null, kind: string | null): void {
  if (apiVersion === null && !view.fields.has('apiVersion')) {
    const expected = expectedApiVersion(kind);
    report(scope, 'E_MISSING_FIELD', 'apiVersion is missing; the object is ignored', at, `Add apiVersion: ${expected ?? 'networking.k8s.io/v1 (Ingress) or v1 (Service)'}`);
  }
  if (kind === null && !view.fields.has('kind')) {
    const expected = expectedKind(apiVersion);
    report(scope, 'E_MISSING_FIELD', 'kind is missing; the object is ignored', at, `Add kind: ${expected === null ? 'Ingress, Service, ...' : `${expected} (or the kind this object is)`}`);
  }
}

/** `where` names the document, or the List item, in messages. */
function parseObject(ctx: DocContext, value: YamlValue, js: unknown, depth: number, out: Collector, where = 'This YAML document'): void {
  const docAt = nodePosition(ctx, value, positionAt(ctx, 0));
  const header: Scope = { ctx, subject: headerSubject(js) };
  const view = mapView(header, value, '');
  if (view === null) {
    const what = isSeq(value) ? 'a list' : 'a single value';
    reportAt(
      ctx,
      'E_NOT_AN_OBJECT',
      `${where} is ${what}, not a Kubernetes object; it is ignored`,
      docAt,
      isSeq(value)
        ? 'Write each object as its own document, separated by --- lines, or wrap them in apiVersion: v1, kind: List, items: [...]'
        : 'A document is a mapping that starts with apiVersion: and kind:',
    );
    return;
  }
  const apiVersion = readString(header, view.fields.get('apiVersion'), 'apiVersion');
  const kind = readString(header, view.fields.get('kind'), 'kind');
  if (apiVersion === null || kind === null || apiVersion.value === '' || kind.value === '') {
    reportMissingHeader(header, view, docAt, apiVersion?.value || null, kind?.value || null);
    return;
  }
  const kindField = view.fields.get('kind');
  const kindAt = kindField === undefined ? docAt : spanPosition(ctx, kindField.keyAt, kind.at);
  const items = view.fields.get('items');
  if (kind.value.endsWith('List') && (kind.value === 'List' || isSeq(items?.value))) {
    parseList(header, items, js, depth, out);
    return;
  }
  const classified = classify(apiVersion.value, kind.value);
  switch (classified.type) {
    case 'unknown':
      report(header, 'E_UNKNOWN_KIND', classified.message, classified.onApiVersion ? apiVersion.at : kind.at, classified.hint);
      return;
    case 'other':
      parseOther(ctx, view, apiVersion.value, kind.value, kindAt, js, out);
      return;
    default:
      parseTyped(ctx, view, classified, apiVersion, kindAt, out);
  }
}

/** How messages name an object before its metadata is read: `Service web`, or `Object`. */
function headerSubject(js: unknown): string {
  const object = plainObject(js);
  const metadata = plainObject(object?.['metadata']);
  const kind = object?.['kind'];
  const name = metadata?.['name'];
  return `${typeof kind === 'string' && kind !== '' ? kind : 'Object'}${typeof name === 'string' && name !== '' ? ` ${name}` : ''}`;
}

function childJs(js: unknown, index: number): unknown {
  if (typeof js !== 'object' || js === null || !('items' in js)) return undefined;
  const items: unknown = js.items;
  return Array.isArray(items) ? items[index] : undefined;
}

function parseList(scope: Scope, items: Field | undefined, js: unknown, depth: number, out: Collector): void {
  if (depth >= maxListDepth) {
    report(scope, 'E_NOT_AN_OBJECT', `a List nested ${depth + 1} deep is not read`, items?.keyAt ?? positionAt(scope.ctx, 0), 'Put the objects in one List, or write each as its own document separated by ---');
    return;
  }
  for (const item of readList(scope, items, 'items')) {
    if (item.value === null) continue;
    const value = item.value;
    guarded(out, item.at, () => parseObject(scope.ctx, value, childJs(js, item.index), depth + 1, out, `${scope.subject} items[${item.index}]`));
  }
}

// ---------------------------------------------------------------------------------------------
// kinds

const topLevelFields = ['apiVersion', 'kind', 'metadata', 'spec', 'status'];

type TypedClassified = Exclude<Classified, { type: 'other' | 'unknown' }>;

const nameRules: Readonly<Record<TypedClassified['type'], MetadataRules>> = {
  ingress: { kind: 'Ingress', nameRule: 'dns1123-subdomain', clusterScoped: false },
  'ingress-class': { kind: 'IngressClass', nameRule: 'dns1123-subdomain', clusterScoped: true },
  // Service names become DNS labels in the cluster: RFC 1035, so they must start with a letter.
  service: { kind: 'Service', nameRule: 'dns1035-label', clusterScoped: false },
  // Namespaces are DNS-1123 labels (they become parts of DNS names).
  namespace: { kind: 'Namespace', nameRule: 'dns1123-label', clusterScoped: true },
  // Gateway API objects follow the default rule of custom resources: a DNS-1123 subdomain.
  'gateway-class': { kind: 'GatewayClass', nameRule: 'dns1123-subdomain', clusterScoped: true },
  gateway: { kind: 'Gateway', nameRule: 'dns1123-subdomain', clusterScoped: false },
  'http-route': { kind: 'HTTPRoute', nameRule: 'dns1123-subdomain', clusterScoped: false },
  'grpc-route': { kind: 'GRPCRoute', nameRule: 'dns1123-subdomain', clusterScoped: false },
  'reference-grant': { kind: 'ReferenceGrant', nameRule: 'dns1123-subdomain', clusterScoped: false },
};

const deprecationHints = {
  ingress:
    'networking.k8s.io/v1 is the only version served since Kubernetes 1.22; convert with: apiVersion: networking.k8s.io/v1, ' +
    'spec.backend → spec.defaultBackend, serviceName: web + servicePort: 80 → service: {name: web, port: {number: 80}}, ' +
    'and pathType: Prefix (or Exact) on every path',
  'ingress-class': 'networking.k8s.io/v1 is the only version served since Kubernetes 1.22; convert with: apiVersion: networking.k8s.io/v1 (the fields are the same)',
} as const;

function parseTyped(
  ctx: DocContext,
  view: MapView,
  classified: TypedClassified,
  apiVersion: { readonly value: string; readonly at: SourcePosition },
  kindAt: SourcePosition,
  out: Collector,
): void {
  const meta = parseMetadata(ctx, nameRules[classified.type], view.fields.get('metadata'), kindAt);
  const scope: Scope = { ctx, subject: meta.subject };
  if ((classified.type === 'ingress' || classified.type === 'ingress-class') && classified.legacy) {
    report(scope, 'W_DEPRECATED_API', `apiVersion ${apiVersion.value} is deprecated and no longer served; it is read as networking.k8s.io/v1`, apiVersion.at, deprecationHints[classified.type]);
  }
  const gatewayKind = classified.type === 'gateway-class' || classified.type === 'gateway' || classified.type === 'http-route' || classified.type === 'grpc-route';
  const deprecation = gatewayKind && classified.legacy ? gatewayDeprecation(nameRules[classified.type].kind, apiVersion.value) : null;
  if (deprecation !== null) report(scope, 'W_DEPRECATED_API', deprecation.message, apiVersion.at, deprecation.hint);
  checkFields(scope, view, topLevelFields, '');
  const specField = view.fields.get('spec');
  switch (classified.type) {
    case 'ingress': {
      const spec = parseIngressSpec(scope, specField, classified.legacy, kindAt);
      if (!meta.usable) return;
      add(out, scope, `Ingress/${meta.namespace}/${meta.name}`, meta, (order) => ({
        kind: 'Ingress',
        apiVersion: apiVersion.value,
        metadata: toObjectMeta(meta, kindAt, order),
        classAnnotation: meta.annotations.get('kubernetes.io/ingress.class') ?? null,
        ...spec,
      }));
      return;
    }
    case 'ingress-class': {
      const spec = parseIngressClassSpec(scope, specField);
      if (!meta.usable) return;
      add(out, scope, `IngressClass/${meta.name}`, meta, (order) => ({
        kind: 'IngressClass',
        metadata: toObjectMeta(meta, kindAt, order),
        isDefault: meta.annotations.get(defaultClassAnnotation)?.value === 'true',
        ...spec,
      }));
      return;
    }
    case 'service': {
      const spec = parseServiceSpec(scope, specField, kindAt);
      if (!meta.usable) return;
      add(out, scope, `Service/${meta.namespace}/${meta.name}`, meta, (order) => ({
        kind: 'Service',
        metadata: toObjectMeta(meta, kindAt, order),
        ...spec,
      }));
      return;
    }
    case 'namespace': {
      parseNamespaceSpec(scope, specField);
      if (!meta.usable) return;
      add(out, scope, `Namespace/${meta.name}`, meta, (order) => ({ kind: 'Namespace', metadata: toObjectMeta(meta, kindAt, order) }));
      return;
    }
    case 'gateway-class': {
      const spec = parseGatewayClassSpec(scope, specField, kindAt);
      if (!meta.usable) return;
      add(out, scope, `GatewayClass/${meta.name}`, meta, (order) => ({ kind: 'GatewayClass', metadata: toObjectMeta(meta, kindAt, order), ...spec }));
      return;
    }
    case 'gateway': {
      const spec = parseGatewaySpec(scope, specField, kindAt);
      if (!meta.usable) return;
      add(out, scope, `Gateway/${meta.namespace}/${meta.name}`, meta, (order) => ({ kind: 'Gateway', apiVersion: apiVersion.value, metadata: toObjectMeta(meta, kindAt, order), ...spec }));
      return;
    }
    case 'http-route': {
      const spec = parseHTTPRouteSpec(scope, specField, kindAt);
      if (!meta.usable) return;
      add(out, scope, `HTTPRoute/${meta.namespace}/${meta.name}`, meta, (order) => ({ kind: 'HTTPRoute', apiVersion: apiVersion.value, metadata: toObjectMeta(meta, kindAt, order), ...spec }));
      return;
    }
    case 'grpc-route': {
      const spec = parseGRPCRouteSpec(scope, specField, kindAt);
      if (!meta.usable) return;
      add(out, scope, `GRPCRoute/${meta.namespace}/${meta.name}`, meta, (order) => ({ kind: 'GRPCRoute', apiVersion: apiVersion.value, metadata: toObjectMeta(meta, kindAt, order), ...spec }));
      return;
    }
    case 'reference-grant': {
      const spec = parseReferenceGrantSpec(scope, specField, kindAt);
      if (!meta.usable) return;
      add(out, scope, `ReferenceGrant/${meta.namespace}/${meta.name}`, meta, (order) => ({ kind: 'ReferenceGrant', apiVersion: apiVersion.value, metadata: toObjectMeta(meta, kindAt, order), ...spec }));
    }
  }
}

/** Kinds ingress-dev does not read (yet) are kept as they are, unchecked. */
function parseOther(ctx: DocContext, view: MapView, apiVersion: string, kind: string, kindAt: SourcePosition, js: unknown, out: Collector): void {
  const meta = parseMetadata(ctx, { kind, nameRule: null, clusterScoped: false }, view.fields.get('metadata'), kindAt);
  const scope: Scope = { ctx, subject: meta.subject };
  const key = meta.name === '' ? null : `${groupOf(apiVersion)}/${kind}/${meta.namespace}/${meta.name}`;
  add(out, scope, key, meta, (order) => ({ kind: 'Other', apiVersion, resourceKind: kind, metadata: toObjectMeta(meta, kindAt, order), raw: js }));
}

/** Collects a resource of this file; duplicates across the project are found by the merge. */
function add(out: Collector, scope: Scope, key: string | null, meta: ParsedMetadata, build: (order: number) => Resource): void {
  out.entries.push({ key, subject: scope.subject, nameAt: meta.nameAt, resource: build(0) });
}
