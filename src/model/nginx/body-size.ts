import type { NginxAnnotation } from './annotation.js';

/**
 * `proxy-body-size` (annotations/proxy: parser.SizeRegex `^(?i)\\d+[bkmg]?$`, nginx's
 * client_max_body_size): a request body larger than this gets 413; `0` is no limit. The
 * ConfigMap's default is 1m. A value the parser refuses leaves the default.
 */
export const proxyBodySize: NginxAnnotation<number> = {
  name: 'proxy-body-size',
  doc: 'the largest request body; a larger one gets 413 (default 1m; 0 is no limit)',
  parse(value) {
    const bytes = parseNginxSize(value);
    return bytes === null ? { ok: false, error: `"${value}" is not a size`, hint: 'Write a size such as 8m, 512k or 0 (no limit)' } : { ok: true, value: bytes };
  },
};

/** An nginx size (`1m`, `512k`, `100`): bytes; null when it is not one. */
export function parseNginxSize(value: string): number | null {
  const m = /^(\d+)([bkmg]?)$/i.exec(value.trim());
  if (m === null) return null;
  const unit = (m[2] ?? '').toLowerCase();
  return Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1);
}
