import { regexPathWithCapture, type NginxAnnotation } from './annotation.js';

/**
 * `rewrite-target` (annotations/rewrite/main.go): the URI sent upstream, with `$1`, `$2`… from
 * the path regex. Checked with parser.RegexPathWithCapture, `^/?[-._~a-zA-Z0-9/:$]*$`: a value
 * outside it is ignored ("rewrite-target is invalid, defaulting to empty").
 */
export const rewriteTarget: NginxAnnotation<string> = {
  name: 'rewrite-target',
  doc: 'the path sent upstream instead of the request\'s, with $1, $2… from the path regex; the query string is kept; makes the host\'s paths regular expressions (unless it equals the path)',
  parse(value) {
    if (regexPathWithCapture.test(value)) return { ok: true, value };
    return { ok: false, error: `"${value}" has characters ingress-nginx does not allow in a rewrite target`, hint: 'Use letters, digits, - . _ ~ / : and $1, $2… (no query string: the request\'s is kept)' };
  },
};
