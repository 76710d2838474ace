import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type YAMLError } from 'yaml';
import type { Diagnostic, SourcePosition } from '../diagnostics/diagnostic.js';
import { sortDiagnostics } from '../diagnostics/diagnostic.js';
import { defaultClassAnnotation, ingressClassApiVersions, parseIngressClassSpec } from './ingress-class.js';
import { ingressApiVersions, parseIngressSpec } from './ingress.js';
import { parseMetadata, toObjectMeta, type MetadataRules, type ParsedMetadata } from './metadata.js';
import { parseServiceSpec } from './service.js';
import { editDistance } from './suggest.js';
import type { Ingress, IngressClass, OtherResource, Resource, ResourceSet, Service, SourceFile } from './types.js';
import {
  checkFields,
  collectAliases,
  mapView,
  nodePosition,
  positionAt,
  readList,
  readString,
  report,
  reportAt,
  resolveValue,
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
 * Aliases may expand to at most this many nodes per document (yaml's default), which stops a
 * "billion laughs" document long before it costs anything.
 */
const maxAliasCount = 100;
const maxListDepth = 3;

interface Collector {
  readonly ingresses: Ingress[];
  readonly ingressClasses: IngressClass[];
  readonly services: Service[];
  readonly others: OtherResource[];
  /** First position of each kind/namespace/name, for E_DUPLICATE_RESOURCE. */
  readonly seen: Map<string, SourcePosition>;
  readonly diagnostics: Diagnostic[];
  order: number;
}

/** A YAML document that parsed, ready to be read as an object. */
interface ReadableDocument {
  readonly ctx: DocContext;
  readonly value: YamlValue;
  /** The plain JavaScript value (aliases expanded), the `raw` of kinds ingress-dev does not read. */
  readonly js: unknown;
}

export function parseManifests(files: readonly SourceFile[]): ParseResult {
  const out: Collector = { ingresses: [], ingressClasses: [], services: [], others: [], seen: new Map(), diagnostics: [], order: 0 };
  for (const file of files) {
    guarded(out, { file: file.file, line: 1, col: 1 }, () => parseFile(file, out));
  }
  return {
    resources: { ingresses: out.ingresses, ingressClasses: out.ingressClasses, services: out.services, others: out.others },
    diagnostics: sortDiagnostics(out.diagnostics),
  };
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
// files and documents

function parseFile(source: SourceFile, out: Collector): void {
  const lines = new LineCounter();
  const base = { file: source.file, lines };
  const docs = parseAllDocuments(source.text, { lineCounter: lines, prettyErrors: false, merge: true, logLevel: 'silent' });
  if ('empty' in docs) {
    const first = docs.errors[0];
    if (first !== undefined) reportYamlError(out, base, source.text, first);
    return;
  }
  const before = out.diagnostics.length;
  const readable: ReadableDocument[] = [];
  for (const doc of docs) {
    const document = readDocument(source, lines, doc, out);
    if (document !== null) readable.push(document);
  }
  // A file where no document has apiVersion, kind or metadata is some other tool's YAML
  // (docker-compose.yml, Helm values, CI config) that happens to live in the folder.
  if (readable.length > 0 && !readable.some(looksLikeObject)) {
    if (out.diagnostics.length === before) {
      reportAt(
        out,
        'I_FILE_SKIPPED',
        `${source.file} holds no Kubernetes objects (no document has apiVersion and kind); it is skipped`,
        positionAt(base, 0),
        'If it should hold manifests, start each document with apiVersion: and kind:',
      );
    }
    return;
  }
  for (const document of readable) {
    const at = nodePosition(document.ctx, document.value, positionAt(base, 0));
    guarded(out, at, () => parseObject(document.ctx, document.value, document.js, 0, out));
  }
}

function readDocument(source: SourceFile, lines: LineCounter, doc: Document.Parsed, out: Collector): ReadableDocument | null {
  const base = { file: source.file, lines };
  // The first error of a document is the one to fix; the rest usually follow from it.
  const firstError = doc.errors[0];
  if (firstError !== undefined) {
    reportYamlError(out, base, source.text, firstError);
    return null;
  }
  for (const warning of doc.warnings.slice(0, 3)) {
    reportAt(out, 'W_YAML_WARNING', `YAML: ${warning.message}`, positionAt(base, warning.pos[0], warning.pos[1]), yamlHint(warning, source.text));
  }
  const ctx: DocContext = { file: source.file, lines, doc, aliases: collectAliases(doc), diagnostics: out.diagnostics };
  for (const [alias, target] of ctx.aliases) {
    if (target !== null) continue;
    const at = nodePosition(ctx, alias, positionAt(base, 0));
    reportAt(out, 'E_YAML_SYNTAX', `YAML: *${alias.source} refers to no anchor &${alias.source}; the document is ignored`, at, aliasHint(alias.source));
    return null;
  }
  const value = resolveValue(ctx, doc.contents);
  if (value === null) return null; // an empty document, e.g. after a trailing ---
  let js: unknown;
  try {
    js = doc.toJS({ maxAliasCount });
  } catch (error) {
    const bomb = error instanceof ReferenceError;
    reportAt(
      out,
      'E_YAML_LIMIT',
      bomb
        ? `YAML: aliases expand to too many nodes (more than ${maxAliasCount}); the document is ignored`
        : 'YAML: the document is nested too deeply to read; it is ignored',
      nodePosition(ctx, value, positionAt(base, 0)),
      bomb ? 'Write the repeated parts out instead of nesting aliases of aliases' : 'Kubernetes objects are a few levels deep: check for runaway brackets',
    );
    return null;
  }
  return { ctx, value, js };
}

function looksLikeObject(document: ReadableDocument): boolean {
  if (!isMap(document.value)) return false;
  return document.value.items.some((pair) => isScalar(pair.key) && ['apiVersion', 'kind', 'metadata'].includes(String(pair.key.value)));
}

function aliasHint(name: string): string {
  const literal = `*${name}`;
  return literal.startsWith('*.')
    ? `A value that starts with * is a YAML alias: quote the wildcard host, host: "${literal}"`
    : `Define &${name} on a value before this alias, or quote the value if * is meant literally: "${literal}"`;
}

function yamlHint(error: YAMLError, text: string): string {
  switch (error.code) {
    case 'TAB_AS_INDENT':
      return 'Indent with spaces: YAML does not allow tabs for indentation';
    case 'TAG_RESOLVE_FAILED':
      return 'Remove the tag: Kubernetes reads plain YAML values, without !tags';
    case 'BAD_DIRECTIVE':
      return 'Remove the % directive line: Kubernetes manifests need none';
    case 'DUPLICATE_KEY':
      return 'A key may appear once per mapping: delete or rename one of them';
    case 'BAD_ALIAS':
    case 'ALIAS_PROPS':
      return text.slice(error.pos[0]).startsWith('*')
        ? 'A value that starts with * is a YAML alias: quote it, e.g. host: "*.example.com"'
        : 'An alias (*name) stands alone: it takes no anchor, tag or other text';
    case 'BAD_SCALAR_START':
      return 'A plain value cannot start with this character: quote the value';
    case 'BAD_DQ_ESCAPE':
      return 'Inside double quotes a backslash starts an escape: write \\\\ for a backslash, or use single quotes';
    case 'KEY_OVER_1024_CHARS':
      return 'A key is at most 1024 characters: did a "key: value" lose its colon or a line its indentation?';
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
    case 'UNEXPECTED_TOKEN':
      return 'Check the indentation of this line and the one before it: keys of one mapping line up, nested ones are indented further, and a "key: value" needs a space after the colon';
    default:
      return 'Fix the YAML at this position; `kubectl apply --dry-run=client -f FILE` reports the same problem';
  }
}

function reportYamlError(out: Collector, base: { readonly file: string; readonly lines: LineCounter }, text: string, error: YAMLError): void {
  const at = positionAt(base, error.pos[0], error.pos[1]);
  if (error.code === 'RESOURCE_EXHAUSTION') {
    reportAt(out, 'E_YAML_LIMIT', 'YAML: the document is nested too deeply to read; it is ignored', at, 'Kubernetes objects are a few levels deep: check for runaway brackets');
    return;
  }
  reportAt(out, 'E_YAML_SYNTAX', `YAML syntax error: ${error.message.split('\n')[0] ?? ''}; the document is ignored`, at, yamlHint(error, text));
}

// ---------------------------------------------------------------------------------------------
// objects

type Classified =
  | { readonly type: 'ingress'; readonly legacy: boolean }
  | { readonly type: 'ingress-class'; readonly legacy: boolean }
  | { readonly type: 'service' }
  | { readonly type: 'other' }
  | { readonly type: 'unknown'; readonly message: string; readonly hint: string; readonly onApiVersion: boolean };

/** Kinds of the API groups where a near-miss of Ingress, IngressClass or Service is a typo. */
const groupKinds: Readonly<Record<string, readonly string[]>> = {
  '': ['Pod', 'Service', 'ServiceAccount', 'Secret', 'ConfigMap', 'Namespace', 'Endpoints', 'PersistentVolume', 'PersistentVolumeClaim', 'Node', 'Event', 'LimitRange', 'ResourceQuota', 'ReplicationController', 'PodTemplate', 'Binding', 'ComponentStatus'],
  'networking.k8s.io': ['Ingress', 'IngressClass', 'NetworkPolicy', 'IPAddress', 'ServiceCIDR'],
  extensions: ['Ingress', 'NetworkPolicy', 'Deployment', 'DaemonSet', 'ReplicaSet', 'PodSecurityPolicy'],
};

const typedKinds: Readonly<Record<string, { readonly apiVersions: readonly string[]; readonly group: readonly string[] }>> = {
  Ingress: { apiVersions: ingressApiVersions, group: ['networking.k8s.io', 'extensions'] },
  IngressClass: { apiVersions: ingressClassApiVersions, group: ['networking.k8s.io'] },
  Service: { apiVersions: ['v1'], group: [''] },
};

function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

function classify(apiVersion: string, kind: string): Classified {
  const typed = Object.hasOwn(typedKinds, kind) ? typedKinds[kind] : undefined;
  if (typed !== undefined) {
    if (!typed.apiVersions.includes(apiVersion)) {
      return {
        type: 'unknown',
        message: `${kind} is not served in apiVersion ${apiVersion}; the object is ignored`,
        hint: `Write apiVersion: ${typed.apiVersions[0] ?? 'v1'}`,
        onApiVersion: true,
      };
    }
    if (kind === 'Service') return { type: 'service' };
    const legacy = apiVersion !== 'networking.k8s.io/v1';
    return kind === 'Ingress' ? { type: 'ingress', legacy } : { type: 'ingress-class', legacy };
  }
  const group = groupOf(apiVersion);
  const known = Object.hasOwn(groupKinds, group) ? groupKinds[group] : undefined;
  if (known !== undefined && !known.includes(kind)) {
    const meant = Object.entries(typedKinds).find(
      ([name, info]) => info.group.includes(group) && (name.toLowerCase() === kind.toLowerCase() || editDistance(name.toLowerCase(), kind.toLowerCase(), 2) <= 2),
    );
    if (meant !== undefined) {
      return {
        type: 'unknown',
        message: `kind ${kind} is not a resource type of ${apiVersion}; the object is ignored`,
        hint: `Did you mean kind: ${meant[0]}? Kinds are case-sensitive`,
        onApiVersion: false,
      };
    }
  }
  return { type: 'other' };
}

const kindForGroup: Readonly<Record<string, string>> = { 'networking.k8s.io': 'Ingress', extensions: 'Ingress', '': 'Service', apps: 'Deployment' };

function reportMissingHeader(scope: Scope, view: MapView, at: SourcePosition, apiVersion: string | null, kind: string | null): void {
  if (apiVersion === null && !view.fields.has('apiVersion')) {
    const expected = kind !== null && Object.hasOwn(typedKinds, kind) ? typedKinds[kind]?.apiVersions[0] : undefined;
    report(scope, 'E_MISSING_FIELD', 'apiVersion is missing; the object is ignored', at, `Add apiVersion: ${expected ?? 'networking.k8s.io/v1 (Ingress) or v1 (Service)'}`);
  }
  if (kind === null && !view.fields.has('kind')) {
    const expected = apiVersion !== null ? kindForGroup[groupOf(apiVersion)] : undefined;
    report(scope, 'E_MISSING_FIELD', 'kind is missing; the object is ignored', at, `Add kind: ${expected ?? 'Ingress, Service, ...'}${expected === undefined ? '' : ' (or the kind this object is)'}`);
  }
}

/** `where` names the document, or the List item, in messages. */
function parseObject(ctx: DocContext, value: YamlValue, js: unknown, depth: number, out: Collector, where = 'This YAML document'): void {
  const docAt = nodePosition(ctx, value, positionAt(ctx, 0));
  const view = mapView({ ctx, subject: 'Object' }, value, '');
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
  const header: Scope = { ctx, subject: headerSubject(view) };
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

function headerSubject(view: MapView): string {
  const text = (key: string): string | null => {
    const value = view.fields.get(key)?.value ?? null;
    return isScalar(value) && typeof value.value === 'string' ? value.value : null;
  };
  const metadata = view.fields.get('metadata')?.value ?? null;
  const nameNode = isMap(metadata) ? metadata.items.find((pair) => isScalar(pair.key) && pair.key.value === 'name')?.value : undefined;
  const name = isScalar(nameNode) && typeof nameNode.value === 'string' ? ` ${nameNode.value}` : '';
  return `${text('kind') ?? 'Object'}${name}`;
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

const nameRules: Readonly<Record<'ingress' | 'ingress-class' | 'service', MetadataRules>> = {
  ingress: { kind: 'Ingress', nameRule: 'dns1123-subdomain', clusterScoped: false },
  'ingress-class': { kind: 'IngressClass', nameRule: 'dns1123-subdomain', clusterScoped: true },
  // Service names become DNS labels in the cluster: RFC 1035, so they must start with a letter.
  service: { kind: 'Service', nameRule: 'dns1035-label', clusterScoped: false },
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
  classified: Extract<Classified, { type: 'ingress' | 'ingress-class' | 'service' }>,
  apiVersion: { readonly value: string; readonly at: SourcePosition },
  kindAt: SourcePosition,
  out: Collector,
): void {
  const meta = parseMetadata(ctx, nameRules[classified.type], view.fields.get('metadata'), kindAt);
  const scope: Scope = { ctx, subject: meta.subject };
  if (classified.type !== 'service' && classified.legacy) {
    report(scope, 'W_DEPRECATED_API', `apiVersion ${apiVersion.value} is deprecated and no longer served; it is read as networking.k8s.io/v1`, apiVersion.at, deprecationHints[classified.type]);
  }
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

/**
 * Keeps the first of two objects with the same kind, namespace and name, and reports the second
 * (`kubectl apply` would let the later one replace the earlier; keeping the first makes the result
 * independent of which file a reader looks at last, and the error points at the one to remove).
 */
function add(out: Collector, scope: Scope, key: string | null, meta: ParsedMetadata, build: (order: number) => Resource): void {
  const first = key === null ? undefined : out.seen.get(key);
  if (first !== undefined) {
    report(
      scope,
      'E_DUPLICATE_RESOURCE',
      `defined twice; this one is ignored (the first is at ${first.file}:${first.line}:${first.col})`,
      meta.nameAt,
      'Rename one of them (metadata.name) or delete the duplicate',
    );
    return;
  }
  if (key !== null) out.seen.set(key, meta.nameAt);
  const resource = build(out.order++);
  switch (resource.kind) {
    case 'Ingress':
      out.ingresses.push(resource);
      break;
    case 'IngressClass':
      out.ingressClasses.push(resource);
      break;
    case 'Service':
      out.services.push(resource);
      break;
    case 'Other':
      out.others.push(resource);
  }
}
