/**
 * One ingress-nginx annotation that the `nginx` profile emulates: its key (without the
 * `nginx.ingress.kubernetes.io/` prefix), how a value is checked and read, and one line of
 * documentation. A value ingress-nginx would refuse is an error, and the annotation is ignored,
 * as ingress-nginx ignores it (internal/ingress/annotations/parser: a validation error leaves
 * the default).
 */
export interface NginxAnnotation<T> {
  readonly name: string;
  /** What it does, for README and `check`. */
  readonly doc: string;
  parse(value: string): { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string; readonly hint: string };
}

export const nginxAnnotationPrefix = 'nginx.ingress.kubernetes.io/';

/**
 * parser.RegexPathWithCapture (annotations/parser/validators.go): a path that may hold `$1`
 * captures; rewrite-target, app-root and x-forwarded-prefix are checked with it.
 */
export const regexPathWithCapture = /^\/?[-._~a-zA-Z0-9/:$]*$/;

/** Go's strconv.ParseBool, which parser.GetBoolAnnotation uses. */
export function parseGoBool(value: string): boolean | null {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  return null;
}

export function boolAnnotation(name: string, doc: string): NginxAnnotation<boolean> {
  return {
    name,
    doc,
    parse(value) {
      const parsed = parseGoBool(value);
      return parsed === null ? { ok: false, error: `"${value}" is not a boolean`, hint: 'Write "true" or "false" (quoted: an annotation value is a string)' } : { ok: true, value: parsed };
    },
  };
}
