import { boolAnnotation, type NginxAnnotation } from './annotation.js';

/**
 * The canary annotations (annotations/canary/main.go). An Ingress with `canary: "true"` serves
 * nothing by itself: controller.go gives its backends `NoServer` and no location, and
 * mergeAlternativeBackends attaches each of them to the main backend of the location with the
 * same host, path and pathType, where balancer.lua (route_to_alternative_balancer) sends a
 * request to it by header, then cookie, then weight. A value the parser refuses leaves its
 * default (canary false, weight 0, weight-total 100, the strings empty).
 */

/** parser.BasicCharsRegex, checked with spaces removed (ValidateRegex(…, true)). */
const basicChars = /^[/\-._~a-zA-Z0-9/:]*$/;
/** parser.IsValidRegex: what canary-by-header-pattern may hold. */
const validRegexChars = /^[/\-._~a-zA-Z0-9/:^$[\](){}*+?|&=\\]*$/;

/** parser.GetStringAnnotation's normalizeString: every line trimmed. */
function normalizeString(value: string): string {
  return value.split('\n').map((line) => line.trim()).join('\n');
}

function basicString(name: string, doc: string, what: string, hint: string): NginxAnnotation<string> {
  return {
    name,
    doc,
    parse(value) {
      const checked = value.replaceAll(' ', '');
      if (!basicChars.test(checked) || /[\r\n]/.test(checked)) return { ok: false, error: `"${value}" is not ${what}`, hint };
      return { ok: true, value: normalizeString(value) };
    },
  };
}

/** strconv.Atoi, which parser.ValidateInt and GetIntAnnotation use. */
function intAnnotation(name: string, doc: string, hint: string): NginxAnnotation<number> {
  return {
    name,
    doc,
    parse(value) {
      return /^[+-]?\d+$/.test(value) && Number.isSafeInteger(Number(value)) ? { ok: true, value: Number(value) } : { ok: false, error: `"${value}" is not an integer`, hint };
    },
  };
}

export const canary = boolAnnotation('canary', 'this Ingress is a canary: it serves nothing itself, and takes requests of the main Ingress with the same host and path by header, cookie or weight');

export const canaryByHeader = basicString('canary-by-header', 'a request with this header set to "always" goes to the canary, "never" to the main backend (precedence: header, cookie, weight)', 'a header name', 'Write a header name such as X-Canary');

export const canaryByHeaderValue = basicString('canary-by-header-value', 'with canary-by-header: a request whose header equals this value goes to the canary (instead of "always"/"never")', 'a plain header value', 'Use letters, digits and - . _ ~ / :');

export const canaryByHeaderPattern: NginxAnnotation<string> = {
  name: 'canary-by-header-pattern',
  doc: 'with canary-by-header (and no canary-by-header-value): a request whose header matches this regular expression goes to the canary',
  parse(value) {
    if (!validRegexChars.test(value) || /[\r\n]/.test(value)) return { ok: false, error: `"${value}" has characters ingress-nginx does not allow in a pattern`, hint: 'Use letters, digits, - . _ ~ / : and the regex characters ^ $ [ ] ( ) { } * + ? | & = \\' };
    return { ok: true, value: normalizeString(value) };
  },
};

export const canaryByCookie = basicString('canary-by-cookie', 'a request with this cookie set to "always" goes to the canary, "never" to the main backend (after canary-by-header, before canary-weight)', 'a cookie name', 'Write a cookie name such as canary');

export const canaryWeight = intAnnotation('canary-weight', 'this many requests out of canary-weight-total (100) go to the canary, at random (after header and cookie)', 'Write a whole number such as "20"');

export const canaryWeightTotal = intAnnotation('canary-weight-total', 'the total canary-weight is out of (default 100; a value of 100 or less counts as 100)', 'Write a whole number such as "1000"');

/** Every canary annotation, for the registry. */
export const canaryAnnotations: readonly NginxAnnotation<unknown>[] = [canary, canaryByHeader, canaryByHeaderValue, canaryByHeaderPattern, canaryByCookie, canaryWeight, canaryWeightTotal];

/** The traffic shaping policy of a canary backend (ingress.TrafficShapingPolicy); '' is "not set". */
export interface NginxCanary {
  readonly header: string;
  readonly headerValue: string;
  readonly headerPattern: string;
  readonly cookie: string;
  /** May be negative or above the total (strconv.Atoi takes either). */
  readonly weight: number;
  /** As written (default 100); balancer.lua uses it only when it is above 100. */
  readonly weightTotal: number;
}

/** The canary policy of an Ingress; null when `canary` is not "true" (the Ingress is an ordinary one). */
export function readNginxCanary(read: <T>(a: NginxAnnotation<T>) => T | null): NginxCanary | null {
  if (read(canary) !== true) return null;
  return {
    header: read(canaryByHeader) ?? '',
    headerValue: read(canaryByHeaderValue) ?? '',
    headerPattern: read(canaryByHeaderPattern) ?? '',
    cookie: read(canaryByCookie) ?? '',
    weight: read(canaryWeight) ?? 0,
    weightTotal: read(canaryWeightTotal) ?? 100,
  };
}

/**
 * canary.Parse's "configured but not enabled": canary-weight above 0 or any of the header,
 * header-value, header-pattern or cookie annotations on an Ingress whose `canary` is not true.
 * ingress-nginx logs the error, drops the canary settings and serves the Ingress as an ordinary
 * one. Returns the names of the annotations concerned (empty when there is nothing to say).
 * Call it only when readNginxCanary returned null: it reads the other canary annotations once,
 * and not `canary` again, so each bad value is reported once.
 */
export function canarySettingsWithoutCanary(read: <T>(a: NginxAnnotation<T>) => T | null): readonly string[] {
  const set: string[] = [];
  if ((read(canaryWeight) ?? 0) > 0) set.push(canaryWeight.name);
  for (const a of [canaryByHeader, canaryByHeaderValue, canaryByHeaderPattern, canaryByCookie]) {
    if ((read(a) ?? '') !== '') set.push(a.name);
  }
  return set;
}
