import {
  isAlias,
  isMap,
  isNode,
  isScalar,
  isSeq,
  visit,
  type Alias,
  type Document,
  type LineCounter,
  type Scalar,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';
import type { DiagnosticCode } from '../diagnostics/catalogue.js';
import { createDiagnostic, type Diagnostic, type Severity, type SourcePosition } from '../diagnostics/diagnostic.js';
import { suggestWord } from './suggest.js';
import type { Located } from './types.js';

/**
 * Typed, position-aware access to a parsed YAML document. Every reader reports what it cannot
 * use as a diagnostic and returns what it can; none of them throws.
 */

/** A value with aliases followed. */
export type YamlValue = Scalar | YAMLMap | YAMLSeq;

/** Offset → 1-based line and column: a LineCounter, or one shifted for a document read on its own. */
export type LinePositions = Pick<LineCounter, 'linePos'>;

export interface DocContext {
  readonly file: string;
  readonly lines: LinePositions;
  readonly doc: Document.Parsed;
  /** Every alias of the document and its anchored node (null when the anchor is not defined). */
  readonly aliases: ReadonlyMap<Alias, YamlValue | null>;
  readonly diagnostics: Diagnostic[];
}

/** A document context plus the resource its messages name (`Ingress default/web`). */
export interface Scope {
  readonly ctx: DocContext;
  readonly subject: string;
}

export interface Field {
  readonly key: string;
  readonly keyAt: SourcePosition;
  /** The value, aliases followed; null when it is empty or YAML null (JSON null means "not set"). */
  readonly value: YamlValue | null;
  /** Where the value was written; the key when there is no value. */
  readonly at: SourcePosition;
}

export interface MapView {
  readonly at: SourcePosition;
  readonly fields: ReadonlyMap<string, Field>;
}

export interface ListItem {
  readonly index: number;
  readonly value: YamlValue | null;
  readonly at: SourcePosition;
}

// ---------------------------------------------------------------------------------------------
// positions

export function positionAt(ctx: { readonly file: string; readonly lines: LinePositions }, start: number, end?: number): SourcePosition {
  const a = ctx.lines.linePos(start);
  const pos: SourcePosition = { file: ctx.file, line: Math.max(1, a.line), col: Math.max(1, a.col) };
  if (end === undefined || end <= start) return pos;
  const b = ctx.lines.linePos(end);
  return { ...pos, endLine: Math.max(1, b.line), endCol: Math.max(1, b.col) };
}

export function nodePosition(ctx: DocContext, node: unknown, fallback: SourcePosition): SourcePosition {
  if (!isNode(node) || !node.range) return fallback;
  const [start, end] = node.range;
  return positionAt(ctx, start, end);
}

/** From the start of `from` to the end of `to` (a whole `key: value` pair). */
export function spanPosition(ctx: DocContext, from: SourcePosition, to: SourcePosition): SourcePosition {
  const endLine = to.endLine ?? to.line;
  const endCol = to.endCol ?? to.col;
  return { file: ctx.file, line: from.line, col: from.col, endLine, endCol };
}

// ---------------------------------------------------------------------------------------------
// aliases

/**
 * Maps every alias to the last node anchored with its name before it, in one walk. `Alias.resolve`
 * walks the whole document per call, which would make a document of many aliases quadratic.
 */
export function collectAliases(doc: Document.Parsed): Map<Alias, YamlValue | null> {
  const anchors = new Map<string, YamlValue>();
  const aliases = new Map<Alias, YamlValue | null>();
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) {
        aliases.set(node, anchors.get(node.source) ?? null);
      } else if ((isScalar(node) || isMap(node) || isSeq(node)) && node.anchor !== undefined) {
        anchors.set(node.anchor, node);
      }
    },
  });
  return aliases;
}

export function resolveValue(ctx: DocContext, value: unknown): YamlValue | null {
  const node = isAlias(value) ? (ctx.aliases.get(value) ?? null) : value;
  if (isScalar(node)) return node.value === null || node.value === undefined ? null : node;
  if (isMap(node) || isSeq(node)) return node;
  return null;
}

// ---------------------------------------------------------------------------------------------
// reporting

function severityOf(code: DiagnosticCode): Severity {
  return code.startsWith('E_') ? 'error' : code.startsWith('W_') ? 'warning' : 'info';
}

export function reportAt(ctx: DocContext | { readonly diagnostics: Diagnostic[] }, code: DiagnosticCode, message: string, at: SourcePosition, hint: string): void {
  ctx.diagnostics.push(createDiagnostic(code, severityOf(code), message, at, hint));
}

/** A diagnostic whose message names the resource: `Ingress default/web: spec.rules[0] ...`. */
export function report(scope: Scope, code: DiagnosticCode, message: string, at: SourcePosition, hint: string): void {
  reportAt(scope.ctx, code, `${scope.subject}: ${message}`, at, hint);
}

// ---------------------------------------------------------------------------------------------
// describing values, for messages and hints

export function joinPath(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

export function scalarText(value: Scalar): string {
  const text = typeof value.source === 'string' ? value.source : String(value.value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

export function describeValue(value: YamlValue): string {
  if (isMap(value)) return 'a mapping';
  if (isSeq(value)) return 'a list';
  switch (typeof value.value) {
    case 'string':
      return `the string "${scalarText(value)}"`;
    case 'number':
    case 'bigint':
      return `the number ${scalarText(value)}`;
    case 'boolean':
      return `the boolean ${scalarText(value)}`;
    default:
      return `the value ${scalarText(value)}`;
  }
}

type Expected = 'string' | 'integer' | 'list' | 'mapping';

const expectedText: Record<Expected, string> = {
  string: 'a string',
  integer: 'a whole number',
  list: 'a list',
  mapping: 'a mapping',
};

function typeHint(expected: Expected, key: string, value: YamlValue): string {
  const text = isScalar(value) ? scalarText(value) : '';
  switch (expected) {
    case 'string':
      return isScalar(value)
        ? `Quote the value so YAML reads it as a string: ${key}: "${text}"`
        : `Write a single value: ${key}: some-text`;
    case 'integer':
      return isScalar(value) && typeof value.value === 'string' && /^\d+$/.test(value.value.trim())
        ? `Remove the quotes: ${key}: ${value.value.trim()}`
        : `Write a whole number, e.g. ${key}: 80`;
    case 'list':
      return isScalar(value)
        ? `Write a list: ${key}: [${text}], or one "- item" line per item indented under ${key}:`
        : `Write a list: start each item under ${key}: with "- "`;
    case 'mapping':
      return isSeq(value)
        ? `Write key: value pairs under ${key}: without the leading "- "`
        : `Write key: value pairs indented under ${key}:`;
  }
}

export function reportType(scope: Scope, field: { readonly key: string; readonly at: SourcePosition }, path: string, expected: Expected, value: YamlValue): void {
  report(
    scope,
    'E_FIELD_TYPE',
    `${path} must be ${expectedText[expected]}, not ${describeValue(value)}; it is ignored`,
    field.at,
    typeHint(expected, field.key, value),
  );
}

// ---------------------------------------------------------------------------------------------
// mappings

function isMergeKey(key: unknown): boolean {
  // With `merge: true` the parser turns a plain `<<` key into a symbol.
  return isScalar(key) && typeof key.value === 'symbol';
}

function mergeSources(ctx: DocContext, value: unknown): YAMLMap[] {
  const resolved = resolveValue(ctx, value);
  if (isMap(resolved)) return [resolved];
  if (isSeq(resolved)) return resolved.items.map((item) => resolveValue(ctx, item)).filter((m): m is YAMLMap => isMap(m));
  return [];
}

function collectFields(scope: Scope, map: YAMLMap, path: string, out: Map<string, Field>, seen: Set<YAMLMap>, explicit: boolean): void {
  seen.add(map);
  const { ctx } = scope;
  const fallback = nodePosition(ctx, map, { file: ctx.file, line: 1, col: 1 });
  const merges: unknown[] = [];
  for (const pair of map.items) {
    if (isMergeKey(pair.key)) {
      merges.push(pair.value);
      continue;
    }
    const keyNode = resolveValue(ctx, pair.key);
    const keyAt = nodePosition(ctx, pair.key, fallback);
    if (!isScalar(keyNode) || !['string', 'number', 'boolean'].includes(typeof keyNode.value)) {
      if (explicit) {
        report(scope, 'E_FIELD_TYPE', `${path === '' ? 'the object' : path} has a key that is not a plain word; it is ignored`, keyAt, 'Keys of Kubernetes objects are plain names, e.g. name: web');
      }
      continue;
    }
    const key = String(keyNode.value);
    // Explicit keys win over merged ones, and an earlier merge source wins over a later one (YAML merge key spec).
    if (out.has(key)) continue;
    const value = resolveValue(ctx, pair.value);
    const at = value === null ? keyAt : nodePosition(ctx, value, keyAt);
    out.set(key, { key, keyAt, value, at });
  }
  for (const merge of merges) {
    for (const source of mergeSources(ctx, merge)) {
      if (!seen.has(source)) collectFields(scope, source, path, out, seen, false);
    }
  }
}

/** The fields of a mapping, `<<` merge keys expanded; null when `value` is not a mapping. */
export function mapView(scope: Scope, value: YamlValue | null, path: string): MapView | null {
  if (!isMap(value)) return null;
  const fields = new Map<string, Field>();
  collectFields(scope, value, path, fields, new Set(), true);
  return { at: nodePosition(scope.ctx, value, { file: scope.ctx.file, line: 1, col: 1 }), fields };
}

export function isPresent(field: Field | undefined): field is Field & { readonly value: YamlValue } {
  return field !== undefined && field.value !== null;
}

/**
 * W_UNKNOWN_FIELD for every field not in `known`, naming the field probably meant. `renames`
 * maps fields of another API version to the one to write instead.
 */
export function checkFields(
  scope: Scope,
  view: MapView,
  known: readonly string[],
  path: string,
  renames: Readonly<Record<string, string>> = {},
): void {
  for (const field of view.fields.values()) {
    if (known.includes(field.key)) continue;
    const renamed = Object.hasOwn(renames, field.key) ? renames[field.key] : undefined;
    const suggestion = renamed ?? suggestWord(field.key, known);
    const where = path === '' ? 'the object' : path;
    const hint =
      suggestion !== null
        ? `Did you mean ${suggestion}? Field names are case-sensitive. Fields of ${where}: ${known.join(', ')}`
        : `Remove it, or move it to where it belongs. Fields of ${where}: ${known.join(', ')}`;
    report(scope, 'W_UNKNOWN_FIELD', `${joinPath(path, field.key)} is not a field of ${where}; it is ignored`, field.keyAt, hint);
  }
}

// ---------------------------------------------------------------------------------------------
// typed readers: null when absent or unusable (after reporting why)

export function readString(scope: Scope, field: Field | undefined, path: string): Located<string> | null {
  if (!isPresent(field)) return null;
  if (isScalar(field.value) && typeof field.value.value === 'string') return { value: field.value.value, at: field.at };
  reportType(scope, field, path, 'string', field.value);
  return null;
}

export function readObject(scope: Scope, field: Field | undefined, path: string): MapView | null {
  if (!isPresent(field)) return null;
  const view = mapView(scope, field.value, path);
  if (view === null) reportType(scope, field, path, 'mapping', field.value);
  return view;
}

export function readList(scope: Scope, field: Field | undefined, path: string): ListItem[] {
  if (!isPresent(field)) return [];
  if (!isSeq(field.value)) {
    reportType(scope, field, path, 'list', field.value);
    return [];
  }
  return field.value.items.map((item, index) => {
    const value = resolveValue(scope.ctx, item);
    return { index, value, at: nodePosition(scope.ctx, value ?? item, field.at) };
  });
}

/** A list item as a field, so the typed readers can report on it (`hosts[2]`). */
export function itemField(item: ListItem, key: string): Field {
  return { key: `${key}[${item.index}]`, keyAt: item.at, value: item.value, at: item.at };
}

/**
 * A map of string values (labels, annotations, selectors). Kubernetes rejects values that are not
 * strings (`ssl-redirect: false` is a boolean), so they are reported and left out; an empty value
 * is the empty string, as JSON decoding makes it.
 */
export function readStringMap(scope: Scope, field: Field | undefined, path: string): Map<string, Located<string>> {
  const out = new Map<string, Located<string>>();
  const view = readObject(scope, field, path);
  if (view === null) return out;
  for (const entry of view.fields.values()) {
    if (entry.value === null) {
      out.set(entry.key, { value: '', at: entry.at });
    } else if (isScalar(entry.value) && typeof entry.value.value === 'string') {
      out.set(entry.key, { value: entry.value.value, at: entry.at });
    } else {
      reportType(scope, entry, `${path}["${entry.key}"]`, 'string', entry.value);
    }
  }
  return out;
}

export function isScalarString(value: YamlValue | null): value is Scalar<string> {
  return isScalar(value) && typeof value.value === 'string';
}
