import { LineCounter, parseAllDocuments, type Document, type YAMLError } from 'yaml';
import type { Diagnostic, SourcePosition } from '../diagnostics/diagnostic.js';
import type { SourceFile } from './types.js';
import { collectAliases, nodePosition, positionAt, reportAt, resolveValue, type DocContext, type LinePositions, type YamlValue } from './yaml-node.js';

/**
 * YAML text → documents ready to be read as objects. YAML problems are reported here, with hints
 * in Kubernetes terms; a document with one is left out, and the other documents of the file stay.
 */

/** A YAML document that parsed, ready to be read as an object. */
export interface ReadableDocument {
  readonly ctx: DocContext;
  readonly value: YamlValue;
  /** The plain JavaScript value (aliases expanded), the `raw` of kinds ingress-dev does not read. */
  readonly js: unknown;
}

interface Sink {
  readonly diagnostics: Diagnostic[];
}

/**
 * Aliases may expand to at most this many nodes per document (yaml's default), which stops a
 * "billion laughs" document long before it costs anything.
 */
const maxAliasCount = 100;

export function readDocuments(source: SourceFile, diagnostics: Diagnostic[]): ReadableDocument[] {
  return read(source, diagnostics, 1, false) ?? [];
}

/**
 * One part of a file, cut at a `---` line, read as the whole file would read it: `source.text`
 * is the part, which starts on line `firstLine` of the file, and every position is given in the
 * file's lines. Returns null when YAML reports any error or warning in the part, so that the
 * caller reads the whole file instead (a part may end inside an unclosed quote or bracket, and
 * YAML's own messages are then only right for the whole file).
 */
export function readDocumentsOfPart(source: SourceFile, firstLine: number, diagnostics: Diagnostic[]): ReadableDocument[] | null {
  return read(source, diagnostics, firstLine, true);
}

function read(source: SourceFile, diagnostics: Diagnostic[], firstLine: number, strict: boolean): ReadableDocument[] | null {
  const out: Sink = { diagnostics };
  const counter = new LineCounter();
  // The YAML 1.2 core schema, so `on`/`yes` stay strings where Kubernetes' YAML 1.1 reader would
  // make booleans: a string field given one is accepted here, which only errs on the lenient side.
  // `<<` merge keys are on, as in Kubernetes. Positions come from `lines`; messages stay one line.
  const docs = parseAllDocuments(source.text, { lineCounter: counter, prettyErrors: false, merge: true, logLevel: 'silent' });
  const lines = shiftedLines(counter, firstLine - 1);
  if ('empty' in docs) {
    const first = docs.errors[0];
    if (first === undefined) return [];
    if (strict) return null;
    reportYamlError(out, { file: source.file, lines }, source.text, first);
    return [];
  }
  if (strict && docs.some((doc) => doc.errors.length > 0 || doc.warnings.length > 0)) return null;
  const readable: ReadableDocument[] = [];
  for (const doc of docs) {
    const document = readDocument(source, lines, doc, out);
    if (document !== null) readable.push(document);
  }
  return readable;
}

/**
 * Positions of a part that starts `shift` lines into its file. A part after the first starts
 * with its `---` line, where no node or message can be; its offset 0 is only ever asked for as
 * "the start of the file" (a fallback position), so it stays line 1, column 1, as in the file.
 */
function shiftedLines(lines: LineCounter, shift: number): LinePositions {
  if (shift === 0) return lines;
  return {
    linePos(offset) {
      if (offset === 0) return { line: 1, col: 1 };
      const at = lines.linePos(offset);
      return { line: at.line + shift, col: at.col };
    },
  };
}

function readDocument(source: SourceFile, lines: LinePositions, doc: Document.Parsed, out: Sink): ReadableDocument | null {
  const base = { file: source.file, lines };
  // The first error of a document is the one to fix; the rest usually follow from it.
  const firstError = doc.errors[0];
  if (firstError !== undefined) {
    reportYamlError(out, base, source.text, firstError);
    return null;
  }
  // Warnings do not stop the document; a few of them are enough to see the pattern.
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
  // Converting to plain JavaScript is where yaml enforces maxAliasCount, so every document goes
  // through it before it is read, even when only kinds ingress-dev does not read need the value.
  let js: unknown;
  try {
    js = doc.toJS({ maxAliasCount });
  } catch (error) {
    reportConversionError(out, nodePosition(ctx, value, positionAt(base, 0)), error);
    return null;
  }
  return { ctx, value, js };
}

function reportConversionError(out: Sink, at: SourcePosition, error: unknown): void {
  if (error instanceof ReferenceError) {
    reportAt(out, 'E_YAML_LIMIT', `YAML: aliases expand to too many nodes (more than ${maxAliasCount}); the document is ignored`, at, 'Write the repeated parts out instead of nesting aliases of aliases');
  } else if (error instanceof RangeError) {
    reportAt(out, 'E_YAML_LIMIT', 'YAML: the document is nested too deeply to read; it is ignored', at, 'Kubernetes objects are a few levels deep: check for runaway brackets');
  } else {
    // e.g. "Merge sources must be maps or map aliases" for `<<: 5`
    const message = error instanceof Error ? error.message : String(error);
    reportAt(out, 'E_YAML_SYNTAX', `YAML: ${message}; the document is ignored`, at, 'A << merge key takes a mapping or an alias of one, e.g. <<: *defaults');
  }
}

export function plainObject(js: unknown): Record<string, unknown> | null {
  return typeof js === 'object' && js !== null && !Array.isArray(js) ? (js as Record<string, unknown>) : null;
}

/**
 * Whether a document is meant as a Kubernetes object; judged on the plain value, so that keys
 * brought in by a << merge count.
 */
export function looksLikeObject(document: ReadableDocument): boolean {
  const object = plainObject(document.js);
  return object !== null && ['apiVersion', 'kind', 'metadata'].some((key) => Object.hasOwn(object, key));
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

function reportYamlError(out: Sink, base: { readonly file: string; readonly lines: LinePositions }, text: string, error: YAMLError): void {
  const at = positionAt(base, error.pos[0], error.pos[1]);
  if (error.code === 'RESOURCE_EXHAUSTION') {
    reportAt(out, 'E_YAML_LIMIT', 'YAML: the document is nested too deeply to read; it is ignored', at, 'Kubernetes objects are a few levels deep: check for runaway brackets');
    return;
  }
  reportAt(out, 'E_YAML_SYNTAX', `YAML syntax error: ${error.message.split('\n')[0] ?? ''}; the document is ignored`, at, yamlHint(error, text));
}

