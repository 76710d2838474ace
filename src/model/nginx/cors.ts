import { parseGoBool, type NginxAnnotation } from './annotation.js';

/**
 * `enable-cors` and the `cors-*` annotations (internal/ingress/annotations/cors/main.go; the
 * "CORS" define of rootfs/etc/nginx/template/nginx.tmpl). Each value is checked twice, as
 * ingress-nginx does: by the annotation's validator (parser.ValidateRegex with spaces removed,
 * which also refuses `\r` and `\n`), then by Parse on the value trimmed. Whatever fails leaves
 * that annotation's default; nothing drops the Ingress.
 *
 * Go's regexps here are RE2 (linear). Written as they are, some would backtrack exponentially in
 * JavaScript, so they are rewritten below as equivalent unambiguous ones (same language, checked
 * against the originals on every string up to 7 characters over their alphabets).
 */

/** main.go defaultCorsMethods, defaultCorsHeaders, defaultCorsMaxAge; the documented defaults. */
export const defaultCorsMethods = 'GET, PUT, POST, DELETE, PATCH, OPTIONS';
export const defaultCorsHeaders = 'DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization';
export const defaultCorsMaxAge = 1728000;

/** What CORS does on one Ingress's locations (cors.Config), when enable-cors is true. */
export interface NginxCors {
  /**
   * As Parse keeps them: `["*"]` (every origin, and `Access-Control-Allow-Origin: *`), or
   * `scheme://host[:port]` entries where the host may start with `*.` (one label), or `null`.
   * Empty when every entry was refused: then no origin is ever allowed.
   */
  readonly allowOrigins: readonly string[];
  /** Entries of cors-allow-origin that Parse skipped (it logs "Supplied incorrect origin"). */
  readonly skippedOrigins: readonly string[];
  /** Header values exactly as emitted. */
  readonly allowMethods: string;
  readonly allowHeaders: string;
  /** '' : no Access-Control-Expose-Headers. */
  readonly exposeHeaders: string;
  readonly allowCredentials: boolean;
  readonly maxAge: number;
}

/** cors-allow-origin as Parse reads it. */
export interface NginxCorsOrigins {
  readonly origins: readonly string[];
  readonly skipped: readonly string[];
}

type Parsed<T> = ReturnType<NginxAnnotation<T>['parse']>;

/** parser.MaliciousRegex: ValidateRegex refuses a value holding `\r` or `\n`. */
const malicious = /\r|\n/;

/** Go's `\s` is `[\t\n\f\r ]` (not JavaScript's wider class). */
const ws = '[\\t\\n\\f\\r ]';
const listSep = `(?:,${ws}?|${ws})`;

/**
 * corsOriginRegexValidator `^((((([a-z]+://)?(\*\.)?[A-Za-z0-9\-.]*(:\d+)?,?)|null)+)|\*)?$`:
 * every unit is optional, so it is any run of host characters, commas, `x://`, `*.` and `:digit`
 * (or `*` alone).
 */
const originValidator = /^(?:[a-z]:\/\/|\*\.|:\d|[A-Za-z0-9\-.,])*$/;
/** corsOriginRegex, checked on each comma-separated entry (unchanged: it cannot backtrack). */
export const corsOriginEntry = /^([a-z]+:\/\/(\*\.)?[A-Za-z0-9\-.]*(:\d+)?|\*|null)?$/;
/** corsMethodsRegex `^([A-Za-z]+,?\s?)+$`. */
const methodsRegex = new RegExp(`^[A-Za-z]+(?:${listSep}[A-Za-z]+)*${listSep}?$`);
/** corsExposeHeadersRegex `^(([A-Za-z0-9\-\_]+|\*),?\s?)+$`. */
const exposeHeadersRegex = new RegExp(`^[A-Za-z0-9\\-_*]+(?:${listSep}[A-Za-z0-9\\-_*]+)*${listSep}?$`);
/** parser.HeadersVariable `^[A-Za-z0-9-_, ]*$`. */
const headersVariable = /^[A-Za-z0-9\-_, ]*$/;

/** parser.ValidateRegex(re, true): spaces removed, then the regex, then MaliciousRegex. */
function validates(re: RegExp, value: string): boolean {
  const s = value.replaceAll(' ', '');
  return re.test(s) && !malicious.test(s);
}

/** parseString's normalizeString: every line trimmed (a value with a newline never gets here). */
function normalize(value: string): string {
  return value.split('\n').map((l) => l.trim()).join('\n');
}

function corsBool(name: string, doc: string, fallback: boolean): NginxAnnotation<boolean> {
  return {
    name,
    doc,
    parse(value): Parsed<boolean> {
      const parsed = parseGoBool(value);
      return parsed === null
        ? { ok: false, error: `"${value}" is not a boolean`, hint: `Write "true" or "false" (quoted: an annotation value is a string); ingress-nginx uses ${fallback} instead` }
        : { ok: true, value: parsed };
    },
  };
}

export const enableCors = corsBool('enable-cors', 'answers CORS preflights (OPTIONS, 204) and adds Access-Control-* headers for allowed origins', false);

export const corsAllowCredentials = corsBool('cors-allow-credentials', 'with enable-cors: sends Access-Control-Allow-Credentials: true (default true)', true);

export const corsAllowOrigin: NginxAnnotation<NginxCorsOrigins> = {
  name: 'cors-allow-origin',
  doc: 'with enable-cors: the allowed origins, comma-separated: scheme://host[:port], scheme://*.domain, null, or * (default *)',
  parse(value): Parsed<NginxCorsOrigins> {
    const hint = 'Write origins such as https://example.com, https://*.example.com:8443, null, or *; ingress-nginx allows every origin (*) instead';
    const compact = value.replaceAll(' ', '');
    if (!(compact === '*' || originValidator.test(compact)) || malicious.test(compact)) return { ok: false, error: `"${value}" is not a list of origins`, hint };
    const written = normalize(value);
    if (written === '') return { ok: false, error: 'is empty', hint };
    const origins: string[] = [];
    const skipped: string[] = [];
    for (const entry of written.split(',')) {
      const origin = entry.trim();
      if (origin === '') continue;
      if (origin === '*') return { ok: true, value: { origins: ['*'], skipped } };
      if (corsOriginEntry.test(origin)) origins.push(origin);
      else skipped.push(origin);
    }
    return { ok: true, value: { origins, skipped } };
  },
};

/** A list annotation: the validator on the value without spaces, then Parse's regex on it trimmed. */
function listAnnotation(name: string, doc: string, validator: RegExp, parseRegex: RegExp, what: string, hint: string): NginxAnnotation<string> {
  return {
    name,
    doc,
    parse(value): Parsed<string> {
      const written = normalize(value);
      if (!validates(validator, value) || written === '' || !parseRegex.test(written)) return { ok: false, error: `"${value}" is not ${what}`, hint };
      return { ok: true, value: written };
    },
  };
}

export const corsAllowMethods = listAnnotation('cors-allow-methods', `with enable-cors: Access-Control-Allow-Methods (default ${defaultCorsMethods})`,
  methodsRegex, methodsRegex, 'a list of methods', `Write methods separated by ", " such as "GET, POST" (letters only); ingress-nginx uses ${defaultCorsMethods} instead`);

export const corsAllowHeaders = listAnnotation('cors-allow-headers', `with enable-cors: Access-Control-Allow-Headers (default ${defaultCorsHeaders})`,
  headersVariable, headersVariable, 'a list of headers', 'Write header names separated by commas (letters, digits, - and _); ingress-nginx uses its default list instead');

export const corsExposeHeaders = listAnnotation('cors-expose-headers', 'with enable-cors: Access-Control-Expose-Headers (default: none)',
  exposeHeadersRegex, exposeHeadersRegex, 'a list of headers', 'Write header names or * separated by commas (letters, digits, - and _); ingress-nginx sends no Access-Control-Expose-Headers instead');

/** Go's strconv.Atoi: an optional sign and decimal digits that fit in an int64. */
export const corsMaxAge: NginxAnnotation<number> = {
  name: 'cors-max-age',
  doc: `with enable-cors: Access-Control-Max-Age, in seconds (default ${defaultCorsMaxAge})`,
  parse(value): Parsed<number> {
    const fits = /^[+-]?\d+$/.test(value) && BigInt(value) <= 9223372036854775807n && BigInt(value) >= -9223372036854775808n;
    return fits ? { ok: true, value: Number(BigInt(value)) } : { ok: false, error: `"${value}" is not an integer`, hint: `Write a number of seconds such as "600"; ingress-nginx uses ${defaultCorsMaxAge} instead` };
  },
};

export const corsAnnotations: readonly NginxAnnotation<unknown>[] = [
  enableCors, corsAllowOrigin, corsAllowMethods, corsAllowHeaders, corsExposeHeaders, corsAllowCredentials, corsMaxAge,
];

/**
 * cors.Parse: the values `read` returns (null: not set, or refused), with main.go's defaults.
 * null when enable-cors is not true: nginx.tmpl includes the CORS section only then.
 */
export function readNginxCors(read: <T>(a: NginxAnnotation<T>) => T | null): NginxCors | null {
  if (read(enableCors) !== true) return null;
  const origins = read(corsAllowOrigin);
  return {
    // A missing or refused cors-allow-origin is `*` (main.go: "defaulting to '*'").
    allowOrigins: origins?.origins ?? ['*'],
    skippedOrigins: origins?.skipped ?? [],
    allowMethods: read(corsAllowMethods) ?? defaultCorsMethods,
    allowHeaders: read(corsAllowHeaders) ?? defaultCorsHeaders,
    exposeHeaders: read(corsExposeHeaders) ?? '',
    allowCredentials: read(corsAllowCredentials) ?? true,
    maxAge: read(corsMaxAge) ?? defaultCorsMaxAge,
  };
}
