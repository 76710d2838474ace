import { boolAnnotation, type NginxAnnotation } from './annotation.js';

/**
 * Cookie session affinity (annotations/sessionaffinity/main.go; applied per backend in
 * controller.go getBackendServers; served by rootfs/etc/nginx/lua/balancer/sticky*.lua).
 * Affinity belongs to the backend (Service and port), not to the location: every location
 * that uses the backend is balanced by the sticky balancer, but only the paths of Ingresses
 * carrying `affinity: cookie` set the cookie. The session-cookie-* annotations are read only
 * when `affinity` is `cookie`; a value their parser refuses leaves the default.
 */

/** parser.BasicCharsRegex, checked with spaces removed. */
const basicChars = /^[/\-._~a-zA-Z0-9/:]*$/;
/** parser.URLIsValidRegex, checked with spaces removed. */
const urlChars = /^[/\-._~a-zA-Z0-9/:,?&=]*$/;
/** sessionaffinity's affinityCookieExpiresRegex, unanchored as written: `(^0|-?[1-9]\d*$)`. */
const expiresRegex = /(^0|-?[1-9]\d*$)/;

/** parser.GetStringAnnotation's normalizeString: every line trimmed. */
function normalizeString(value: string): string {
  return value.split('\n').map((line) => line.trim()).join('\n');
}

/** parser.ValidateOptions, case-sensitive, with trimSpace. */
function optionAnnotation<T extends string>(name: string, doc: string, options: readonly T[]): NginxAnnotation<T> {
  return {
    name,
    doc,
    parse(value) {
      const found = options.find((o) => o === value.trim());
      return found === undefined
        ? { ok: false, error: `"${value}" is not one of ${options.map((o) => `"${o}"`).join(', ')}`, hint: `Write ${options.map((o) => `"${o}"`).join(' or ')}` }
        : { ok: true, value: found };
    },
  };
}

function charsAnnotation(name: string, doc: string, chars: RegExp, what: string, hint: string): NginxAnnotation<string> {
  return {
    name,
    doc,
    parse(value) {
      const checked = value.replaceAll(' ', '');
      return chars.test(checked) && !/[\r\n]/.test(checked) ? { ok: true, value: normalizeString(value) } : { ok: false, error: `"${value}" is not ${what}`, hint };
    },
  };
}

/**
 * session-cookie-expires and -max-age: the Go check (the unanchored regex above), then the Lua's
 * `tonumber`. A value the regex passes that is no number (`abc5`) is refused here: ingress-nginx
 * would accept it and then fail in the Lua (expires) or leave Max-Age out (max-age).
 */
function secondsAnnotation(name: string, doc: string, removeSpaces: boolean): NginxAnnotation<number> {
  return {
    name,
    doc,
    parse(value) {
      const checked = removeSpaces ? value.replaceAll(' ', '') : value;
      const normalized = normalizeString(value);
      const hint = 'Write a number of seconds such as "172800"';
      if (!expiresRegex.test(checked) || !expiresRegex.test(normalized)) return { ok: false, error: `"${value}" is not a number of seconds`, hint };
      const seconds = Number(normalized);
      if (normalized === '' || !Number.isFinite(seconds)) return { ok: false, error: `"${value}" passes ingress-nginx's check but its Lua cannot read it as a number`, hint };
      return { ok: true, value: seconds };
    },
  };
}

export const affinity = optionAnnotation('affinity', 'cookie: requests carrying the session cookie stick to one endpoint of the Service; the first response sets it', ['cookie'] as const);

export const affinityMode = optionAnnotation('affinity-mode', 'balanced (default): the cookie names a hash-ring key, sessions move when endpoints change; persistent: the cookie names the endpoint itself', ['balanced', 'persistent'] as const);

export const affinityCanaryBehavior = optionAnnotation('affinity-canary-behavior', 'on a canary Ingress: sticky (default) gives the canary the main backend\'s cookie affinity, so a session that reached the canary stays there; legacy leaves the canary without affinity', ['sticky', 'legacy'] as const);

export const sessionCookieName = charsAnnotation('session-cookie-name', 'the name of the session cookie (default INGRESSCOOKIE)', basicChars, 'a cookie name', 'Use letters, digits and - . _ ~ / :');

export const sessionCookiePath = charsAnnotation('session-cookie-path', 'the Path of the session cookie (default: the Ingress path as written; set it when use-regex is on)', urlChars, 'a cookie path', 'Write a path such as /app');

export const sessionCookieDomain = charsAnnotation('session-cookie-domain', 'the Domain of the session cookie (default: none)', basicChars, 'a domain', 'Write a domain such as example.com');

export const sessionCookieExpires = secondsAnnotation('session-cookie-expires', 'the session cookie gets Expires this many seconds from now', true);

export const sessionCookieMaxAge = secondsAnnotation('session-cookie-max-age', 'the session cookie gets Max-Age with this many seconds', false);

/**
 * ValidateOptions(none, lax, strict) ignoring case, but the value is kept as written, and
 * lua-resty-cookie writes SameSite only for exactly "None", "Lax" or "Strict".
 */
export const sessionCookieSameSite: NginxAnnotation<string> = {
  name: 'session-cookie-samesite',
  doc: 'the SameSite of the session cookie: None, Lax or Strict, capitalised so (a lower-case value is accepted and then left out of the cookie)',
  parse(value) {
    return ['none', 'lax', 'strict'].includes(value.trim().toLowerCase())
      ? { ok: true, value: normalizeString(value) }
      : { ok: false, error: `"${value}" is not None, Lax or Strict`, hint: 'Write "None", "Lax" or "Strict"' };
  },
};

export const sessionCookieConditionalSameSiteNone = boolAnnotation('session-cookie-conditional-samesite-none', 'with session-cookie-samesite None: left out for browsers that reject SameSite=None (old Chrome, iOS 12, macOS 10.14 Safari)');

export const sessionCookieSecure = boolAnnotation('session-cookie-secure', 'true: the session cookie is always Secure; otherwise it is Secure only on https requests');

export const sessionCookieChangeOnFailure = boolAnnotation('session-cookie-change-on-failure', 'true: when the cookie\'s endpoint fails, the retry goes to another endpoint and the cookie is changed to it; false: retries stay on the cookie\'s endpoint');

/** Every affinity annotation, for the registry. */
export const affinityAnnotations: readonly NginxAnnotation<unknown>[] = [
  affinity, affinityMode, affinityCanaryBehavior, sessionCookieName, sessionCookiePath, sessionCookieDomain, sessionCookieExpires,
  sessionCookieMaxAge, sessionCookieSameSite, sessionCookieConditionalSameSiteNone, sessionCookieSecure, sessionCookieChangeOnFailure,
];

export const defaultSessionCookieName = 'INGRESSCOOKIE';

/** The cookie affinity of a backend (ingress.SessionAffinityConfig, as the Lua reads it). */
export interface NginxAffinity {
  /** sticky_persistent when "persistent", else sticky_balanced (an unset mode is balanced). */
  readonly mode: 'balanced' | 'persistent';
  readonly cookieName: string;
  /** null: `$location_path`, the path of the Ingress rule as written ("/" when empty). */
  readonly path: string | null;
  readonly domain: string | null;
  /** Seconds from now for Expires; null: no Expires. */
  readonly expires: number | null;
  /** Seconds for Max-Age; null: no Max-Age. */
  readonly maxAge: number | null;
  /** As written (trimmed); only "None", "Lax" and "Strict" reach the cookie (lua-resty-cookie). */
  readonly sameSite: string | null;
  readonly conditionalSameSiteNone: boolean;
  /** true: always Secure; false: Secure when the request came over https (sticky.lua: `secure == nil`). */
  readonly secure: boolean;
  readonly changeOnFailure: boolean;
}

/** The cookie affinity an Ingress asks for; null when `affinity` is not `cookie`. */
export function readNginxAffinity(read: <T>(a: NginxAnnotation<T>) => T | null): NginxAffinity | null {
  if (read(affinity) !== 'cookie') return null;
  return {
    mode: read(affinityMode) === 'persistent' ? 'persistent' : 'balanced',
    cookieName: read(sessionCookieName) ?? defaultSessionCookieName,
    path: read(sessionCookiePath),
    domain: read(sessionCookieDomain),
    expires: read(sessionCookieExpires),
    maxAge: read(sessionCookieMaxAge),
    sameSite: read(sessionCookieSameSite),
    conditionalSameSiteNone: read(sessionCookieConditionalSameSiteNone) ?? false,
    secure: read(sessionCookieSecure) ?? false,
    changeOnFailure: read(sessionCookieChangeOnFailure) ?? false,
  };
}

/**
 * affinity-canary-behavior of a canary Ingress (read from the canary, whatever its `affinity`):
 * anything but "legacy" is sticky (controller.go mergeAlternativeBackend).
 */
export function readAffinityCanaryBehavior(read: <T>(a: NginxAnnotation<T>) => T | null): 'sticky' | 'legacy' {
  return read(affinityCanaryBehavior) === 'legacy' ? 'legacy' : 'sticky';
}
