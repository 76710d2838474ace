import type { SourcePosition } from '../diagnostics/diagnostic.js';
import { describeNameRule, isValidName, suggestName, type NameRule } from './names.js';
import type { Located, ObjectMeta } from './types.js';
import { checkFields, isPresent, isScalarString, readObject, readString, readStringMap, report, type DocContext, type Field, type MapView, type Scope } from './yaml-node.js';

const metadataFields = [
  'name',
  'generateName',
  'namespace',
  'labels',
  'annotations',
  'creationTimestamp',
  'uid',
  'resourceVersion',
  'generation',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'ownerReferences',
  'finalizers',
  'managedFields',
] as const;

export interface MetadataRules {
  readonly kind: string;
  /** The rule metadata.name must follow; null for kinds ingress-dev does not read (not validated). */
  readonly nameRule: NameRule | null;
  /** Cluster-scoped kinds (IngressClass) are named without a namespace. */
  readonly clusterScoped: boolean;
}

export interface ParsedMetadata {
  readonly name: string;
  readonly namespace: string;
  readonly annotations: Map<string, Located<string>>;
  readonly labels: Map<string, string>;
  readonly creationTimestamp: number | null;
  readonly nameAt: SourcePosition;
  /** How messages name the resource: `Ingress default/web`. */
  readonly subject: string;
  /** False when the name or namespace is missing or invalid: the API server would refuse the object. */
  readonly usable: boolean;
}

function subjectOf(rules: MetadataRules, name: string | null, namespace: string): string {
  if (name === null || name === '') return `${rules.kind} (no name)`;
  return rules.clusterScoped ? `${rules.kind} ${name}` : `${rules.kind} ${namespace}/${name}`;
}

/** RFC 3339, as Kubernetes writes timestamps; anything else is ignored (the field is informational). */
const rfc3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export function parseTimestamp(text: string): number | null {
  if (!rfc3339.test(text)) return null;
  const ms = Date.parse(text.replace(' ', 'T'));
  return Number.isFinite(ms) ? ms : null;
}

function validateName(scope: Scope, value: Located<string>, rule: NameRule, what: string): boolean {
  if (isValidName(value.value, rule)) return true;
  report(
    scope,
    'E_INVALID_NAME',
    `${what} "${value.value}" is not a valid name (${describeNameRule(rule)}); the object is ignored`,
    value.at,
    `Kubernetes would reject it. Write e.g. ${what.replace('metadata.', '')}: ${suggestName(value.value, rule)}`,
  );
  return false;
}

function readName(scope: Scope, view: MapView | null, rules: MetadataRules, kindAt: SourcePosition): Located<string> | null {
  const field = view?.fields.get('name');
  const name = readString(scope, field, 'metadata.name');
  if (name !== null && name.value !== '') return name;
  // Kinds ingress-dev does not read may be nameless (a Kustomization has no metadata at all).
  if (rules.nameRule === null) return null;
  // Present with the wrong type: readString has said so.
  if (isPresent(field) && name === null) return null;
  const generated = view?.fields.has('generateName') === true ? ' ingress-dev needs a fixed name: generateName is not supported.' : '';
  report(
    scope,
    'E_MISSING_FIELD',
    'metadata.name is missing; the object is ignored',
    name?.at ?? view?.at ?? kindAt,
    `Add a name: metadata: {name: web}.${generated}`,
  );
  return null;
}

/**
 * metadata of any object. The name and namespace are checked first, because every later message
 * names the object by them.
 */
export function parseMetadata(ctx: DocContext, rules: MetadataRules, field: Field | undefined, kindAt: SourcePosition): ParsedMetadata {
  const bare: Scope = { ctx, subject: rules.kind };
  const view = readObject(bare, field, 'metadata');
  const metadataBroken = isPresent(field) && view === null;
  const name = metadataBroken ? null : readName(bare, view, rules, kindAt);
  const namespaceValue = readString(bare, view?.fields.get('namespace'), 'metadata.namespace');
  const namespace = namespaceValue !== null && namespaceValue.value !== '' ? namespaceValue.value : 'default';
  const scope: Scope = { ctx, subject: subjectOf(rules, name?.value ?? null, namespace) };
  let usable = !metadataBroken;
  // Names are checked only for the kinds ingress-dev reads: other kinds have rules of their own.
  if (rules.nameRule !== null) {
    const nameValid = name !== null && validateName(scope, name, rules.nameRule, 'metadata.name');
    // A namespace is always a DNS-1123 label; cluster-scoped kinds ignore it, as the API server does.
    const namespaceValid =
      rules.clusterScoped || namespaceValue === null || namespaceValue.value === '' || validateName(scope, namespaceValue, 'dns1123-label', 'metadata.namespace');
    usable = usable && nameValid && namespaceValid;
    if (view !== null) checkFields(scope, view, metadataFields, 'metadata');
  }
  const labels = new Map<string, string>();
  for (const [key, value] of readStringMap(scope, view?.fields.get('labels'), 'metadata.labels')) labels.set(key, value.value);
  const annotations = readStringMap(scope, view?.fields.get('annotations'), 'metadata.annotations');
  const stamp = view?.fields.get('creationTimestamp')?.value ?? null;
  const creationTimestamp = isScalarString(stamp) ? parseTimestamp(stamp.value) : null;
  return {
    name: name?.value ?? '',
    namespace,
    annotations,
    labels,
    creationTimestamp,
    nameAt: name?.at ?? view?.at ?? kindAt,
    subject: scope.subject,
    usable,
  };
}

export function toObjectMeta(meta: ParsedMetadata, at: SourcePosition, order: number): ObjectMeta {
  return {
    name: meta.name,
    namespace: meta.namespace,
    annotations: meta.annotations,
    labels: meta.labels,
    creationTimestamp: meta.creationTimestamp,
    at,
    nameAt: meta.nameAt,
    order,
  };
}
