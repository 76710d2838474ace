import { regexPathWithCapture, type NginxAnnotation } from './annotation.js';

/**
 * `x-forwarded-prefix` (annotations/xforwardedprefix: RegexPathWithCapture; sent only with a
 * rewrite, template.go buildProxyPass) and `upstream-vhost` (annotations/upstreamvhost:
 * ValidateServerName; `proxy_set_header Host "VALUE"`). A value either refuses makes
 * ingress-nginx drop the Ingress.
 */
export const xForwardedPrefix: NginxAnnotation<string> = {
  name: 'x-forwarded-prefix',
  doc: 'with rewrite-target, the backend receives X-Forwarded-Prefix with this value',
  parse(value) {
    return regexPathWithCapture.test(value) ? { ok: true, value } : { ok: false, error: `"${value}" is not a path`, hint: 'Write a path such as /api' };
  },
};

export const upstreamVhost: NginxAnnotation<string> = {
  name: 'upstream-vhost',
  doc: 'the backend receives this Host header instead of the request\'s',
  parse(value) {
    const trimmed = value.trim();
    return /^[-._~a-zA-Z0-9/:^$[\](){}*+?|&=\\]*$/.test(trimmed) ? { ok: true, value: trimmed } : { ok: false, error: `"${value}" is not a host name`, hint: 'Write a host such as api.internal or api.internal:8080' };
  },
};
