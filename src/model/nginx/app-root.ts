import { regexPathWithCapture, type NginxAnnotation } from './annotation.js';

/**
 * `app-root` (annotations/rewrite/main.go): a request for `/` of the host gets 302 to this path
 * (nginx.tmpl: `if ($uri = /) { return 302 $scheme://$http_host<app-root>; }`, at server level).
 * Checked with RegexPathWithCapture, and it may not be an absolute URL; otherwise ignored.
 */
export const appRoot: NginxAnnotation<string> = {
  name: 'app-root',
  doc: 'a request for / gets 302 to this path on the same host',
  parse(value) {
    if (regexPathWithCapture.test(value) && !/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(value)) return { ok: true, value };
    return { ok: false, error: `"${value}" is not a path on the same host`, hint: 'Write a path such as /app1 (no scheme, host or query)' };
  },
};
