import { createHash } from 'node:crypto';
import type { NginxAffinity } from '../model/nginx/affinity.js';

/**
 * ingress-nginx's cookie affinity, as rootfs/etc/nginx/lua/balancer/sticky.lua,
 * sticky_balanced.lua, sticky_persistent.lua and util/nodemap.lua do it, with the cookie
 * written as lua-resty-cookie bakes it. Endpoints are "address:port" strings (util.get_nodes).
 *
 * The cookie's value is `KEY|BACKEND`: BACKEND is md5(md5(upstream) .. upstream) in hex, the
 * same for every endpoint of a backend (it tells the main backend from its canary); KEY is, in
 * `persistent` mode, md5(upstream .. endpoint) (nodemap's salted hash), and in `balanced` mode a
 * random string "<ngx.now()+1>.<worker pid>.<1..999999>" whose CRC32 lands on the endpoint on
 * lua-resty-balancer's consistent-hash ring (160 points per endpoint).
 */

export interface StickyContext {
  readonly scheme: 'http' | 'https';
  /** `$location_path`: the path of the Ingress rule as written ("/" when it is empty). */
  readonly locationPath: string;
  readonly userAgent?: string;
  /** The backend's name, `namespace-service-port` (controller.go upstreamName): it salts both halves of the cookie. */
  readonly upstream: string;
  /**
   * sticky.lua should_set_cookie: false when this location's path is not among the paths of the
   * Ingresses with `affinity: cookie` for this host (another Ingress sharing the Service). Such
   * a location still follows a cookie, but never sets one. Default true.
   */
  readonly setsCookie?: boolean;
  /** Epoch milliseconds (ngx.now); default Date.now(). */
  readonly now?: number;
  /** Part of a balanced key (ngx.worker.pid()); default 1. */
  readonly workerPid?: number;
}

export interface StickyResult {
  /** null: the backend has no endpoint (ingress-nginx answers 503). */
  readonly endpoint: string | null;
  /** The Set-Cookie value to add to the response, or null. */
  readonly setCookie: string | null;
  readonly why: string;
}

/**
 * The endpoint of one request's first try, and the Set-Cookie ingress-nginx adds. A cookie
 * whose KEY still leads to an endpoint keeps the request there and sets nothing (the cookie is
 * not refreshed). Otherwise an endpoint is picked and, where the location sets cookies, the
 * cookie is set. `pick` returns a number in [0, 1), as Math.random, where the Lua calls
 * math.random.
 */
export function stickyChoice(affinity: NginxAffinity, endpoints: readonly string[], cookieHeader: string | undefined, context: StickyContext, pick: () => number): StickyResult {
  const held = fromCookie(affinity, endpoints, cookieHeader, context.upstream);
  if (held !== null) return { endpoint: held.endpoint, setCookie: null, why: held.why };
  return pickNew(affinity, endpoints, [], context, pick, `no ${affinity.cookieName} cookie leads to an endpoint`);
}

/**
 * A retry after `failed` endpoints failed (proxy_next_upstream), as sticky.lua balance() does
 * it with a last failure: with session-cookie-change-on-failure, or when the cookie leads
 * nowhere, another endpoint is picked among those that have not failed and the cookie is set
 * to it (nginx then sends every Set-Cookie set during the request); without it, a request
 * whose cookie leads to an endpoint is retried on that same endpoint.
 */
export function stickyFailover(affinity: NginxAffinity, endpoints: readonly string[], cookieHeader: string | undefined, failed: readonly string[], context: StickyContext, pick: () => number): StickyResult {
  const held = fromCookie(affinity, endpoints, cookieHeader, context.upstream);
  if (held !== null && !affinity.changeOnFailure) return { endpoint: held.endpoint, setCookie: null, why: `${held.why}; session-cookie-change-on-failure is off, so the retry stays there` };
  const reason = held === null ? `no ${affinity.cookieName} cookie leads to an endpoint` : 'session-cookie-change-on-failure: the failed endpoint is replaced';
  return pickNew(affinity, endpoints, failed, context, pick, reason);
}

/** sticky.lua is_affinitized: the request's cookie names this backend (its part after `|`). */
export function isAffinitized(affinity: NginxAffinity | null, upstream: string, cookieHeader: string | undefined): boolean {
  if (affinity === null) return false;
  return readStickyCookie(cookieHeader, affinity.cookieName).backendKey === stickyBackendKey(upstream);
}

/** The half of the cookie that names a backend: ngx.md5(ngx.md5(name) .. name). */
export function stickyBackendKey(upstream: string): string {
  return md5(md5(upstream) + upstream);
}

/** sticky.lua get_cookie_parsed: the cookie's value split on `|` (empty pieces dropped). */
export function readStickyCookie(cookieHeader: string | undefined, cookieName: string): { readonly upstreamKey: string | null; readonly backendKey: string | null } {
  const raw = cookieHeader === undefined ? undefined : parseRestyCookies(cookieHeader).get(cookieName);
  const parts = raw === undefined ? [] : raw.split('|').filter((p) => p !== '');
  return { upstreamKey: parts[0] ?? null, backendKey: parts[1] ?? null };
}

/**
 * lua-resty-cookie get_cookie_table: `name=value` pairs, a value ending at `;`, space or tab;
 * a name repeated keeps its last value; names are compared exactly.
 */
export function parseRestyCookies(text: string): ReadonlyMap<string, string> {
  const table = new Map<string, string>();
  let state: 'key' | 'value' | 'space' = 'space';
  let start = 0;
  let key: string | null = null;
  for (let j = 0; j < text.length; j++) {
    const ch = text[j];
    if (state === 'key') {
      if (ch === '=') {
        key = text.slice(start, j);
        state = 'value';
        start = j + 1;
      }
    } else if (state === 'value') {
      if (ch === ';' || ch === ' ' || ch === '\t') {
        table.set(key as string, text.slice(start, j));
        key = null;
        state = 'space';
        start = j + 1;
      }
    } else if (ch !== ' ' && ch !== '\t') {
      state = 'key';
      start = j;
      j--;
    }
  }
  if (key !== null) table.set(key, text.slice(start));
  return table;
}

/**
 * The Set-Cookie value sticky.lua set_cookie sends for a cookie value, in lua-resty-cookie's
 * order: `NAME=VALUE; Expires=…; Max-Age=…; Domain=…; Path=…; Secure; HttpOnly; SameSite=…`.
 * Path is session-cookie-path or `$location_path`; Secure comes from session-cookie-secure or
 * an https request; HttpOnly is always there; SameSite only when it is exactly None, Lax or
 * Strict, and None is left out for the user agents util/same_site.lua lists when
 * session-cookie-conditional-samesite-none is on.
 */
export function formatStickyCookie(affinity: NginxAffinity, value: string, context: Pick<StickyContext, 'scheme' | 'locationPath' | 'userAgent' | 'now'>): string {
  let sameSite = affinity.sameSite;
  if (sameSite !== null && affinity.conditionalSameSiteNone && sameSite === 'None' && !sameSiteNoneCompatible(context.userAgent)) sameSite = null;
  if (sameSite !== null && sameSite !== 'Strict' && sameSite !== 'Lax' && sameSite !== 'None') sameSite = null;
  const nowSeconds = Math.floor((context.now ?? Date.now()) / 1000);
  return `${affinity.cookieName}=${value}`
    + (affinity.expires !== null ? `; Expires=${formatCookieTime(nowSeconds + affinity.expires)}` : '')
    + (affinity.maxAge !== null ? `; Max-Age=${formatLuaNumber(affinity.maxAge)}` : '')
    + (affinity.domain !== null && affinity.domain !== '' ? `; Domain=${affinity.domain}` : '')
    + `; Path=${affinity.path ?? context.locationPath}`
    + (affinity.secure || context.scheme === 'https' ? '; Secure' : '')
    + '; HttpOnly'
    + (sameSite !== null ? `; SameSite=${sameSite}` : '');
}

/** util/same_site.lua same_site_none_compatible: false for browsers that mishandle SameSite=None. */
export function sameSiteNoneCompatible(userAgent: string | undefined): boolean {
  if (userAgent === undefined) return true;
  if (['Chrome/4', 'Chrome/5', 'Chrome/6', 'CPU iPhone OS 12', 'iPad; CPU OS 12'].some((s) => userAgent.includes(s))) return false;
  if (userAgent.includes('Macintosh') && userAgent.includes('Intel Mac OS X 10_14') && userAgent.includes('Safari') && !userAgent.includes('Chrome')) return false;
  return true;
}

/** nginx's ngx_http_cookie_time: `Thu, 18-Nov-10 11:27:35 GMT` (four-digit year after 2037). */
export function formatCookieTime(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const week = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()] as string;
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getUTCMonth()] as string;
  const year = d.getUTCFullYear();
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${week}, ${two(d.getUTCDate())}-${month}-${year > 2037 ? String(year) : two(year % 100)} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} GMT`;
}

function fromCookie(affinity: NginxAffinity, endpoints: readonly string[], cookieHeader: string | undefined, upstream: string): { readonly endpoint: string; readonly why: string } | null {
  const { upstreamKey } = readStickyCookie(cookieHeader, affinity.cookieName);
  if (upstreamKey === null || endpoints.length === 0) return null;
  if (affinity.mode === 'persistent') {
    const endpoint = endpoints.find((e) => md5(upstream + e) === upstreamKey);
    return endpoint === undefined ? null : { endpoint, why: `cookie ${affinity.cookieName} names ${endpoint} (persistent)` };
  }
  // balanced: any key lands somewhere on the ring, so any cookie holds the request.
  const endpoint = chashFind(endpoints, upstreamKey);
  return { endpoint, why: `cookie ${affinity.cookieName} leads to ${endpoint} on the hash ring (balanced)` };
}

function pickNew(affinity: NginxAffinity, endpoints: readonly string[], failed: readonly string[], context: StickyContext, pick: () => number, reason: string): StickyResult {
  const picked = affinity.mode === 'persistent' ? pickPersistent(endpoints, failed, context.upstream, pick) : pickBalanced(endpoints, failed, context, pick);
  if (picked === null) return { endpoint: null, setCookie: null, why: `${reason}, and no endpoint is left to pick` };
  if (context.setsCookie === false) return { endpoint: picked.endpoint, setCookie: null, why: `${reason}: picked ${picked.endpoint}; this path is not on an Ingress with affinity, so no cookie is set` };
  const setCookie = formatStickyCookie(affinity, `${picked.key}|${stickyBackendKey(context.upstream)}`, context);
  return { endpoint: picked.endpoint, setCookie, why: `${reason}: picked ${picked.endpoint} and set ${affinity.cookieName}` };
}

/** sticky_persistent pick_new_upstream: nodemap random_except (a random endpoint that has not failed). */
function pickPersistent(endpoints: readonly string[], failed: readonly string[], upstream: string, pick: () => number): { readonly endpoint: string; readonly key: string } | null {
  const left = [...new Set(endpoints)].filter((e) => !failed.includes(e));
  if (left.length === 0) return null;
  const endpoint = left[Math.min(left.length - 1, Math.floor(pick() * left.length))] as string;
  return { endpoint, key: md5(upstream + endpoint) };
}

/** sticky_balanced pick_new_upstream: up to 20 random keys, the first whose endpoint has not failed. */
function pickBalanced(endpoints: readonly string[], failed: readonly string[], context: StickyContext, pick: () => number): { readonly endpoint: string; readonly key: string } | null {
  if (endpoints.length === 0) return null;
  const now = (context.now ?? Date.now()) / 1000;
  for (let i = 1; i <= 20; i++) {
    const key = `${formatLuaNumber(Math.floor(now * 1000) / 1000 + i)}.${context.workerPid ?? 1}.${Math.min(999999, Math.floor(pick() * 999999) + 1)}`;
    const endpoint = chashFind(endpoints, key);
    if (!failed.includes(endpoint)) return { endpoint, key };
  }
  return null;
}

/** Lua's tostring of a number (`%.14g`; integers without a fraction). */
function formatLuaNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  return String(Number(n.toPrecision(14)));
}

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}

const crcTable = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

/** The running CRC-32 register (ngx_crc32_update), before the final inversion. */
function crcUpdate(crc: number, bytes: Uint8Array): number {
  let c = crc;
  for (const b of bytes) c = ((crcTable[(c ^ b) & 0xff] as number) ^ (c >>> 8)) >>> 0;
  return c;
}

/** ngx.crc32_short: the standard CRC-32. */
function crc32(text: string): number {
  return (crcUpdate(0xffffffff, new TextEncoder().encode(text)) ^ 0xffffffff) >>> 0;
}

interface RingPoint {
  readonly hash: number;
  readonly endpoint: string;
}

const rings = new Map<string, readonly RingPoint[]>();

/**
 * lua-resty-balancer's resty.chash: 160 points per endpoint of weight 1, point i being the
 * CRC-32 of the endpoint's name followed by point i-1 (little-endian; 0 before the first), the
 * ring sorted by hash; a key goes to the first point at or after its CRC-32, wrapping around.
 */
function chashFind(endpoints: readonly string[], key: string): string {
  const id = endpoints.join(',');
  let ring = rings.get(id);
  if (ring === undefined) {
    const points: RingPoint[] = [];
    for (const endpoint of new Set(endpoints)) {
      const base = crcUpdate(0xffffffff, new TextEncoder().encode(endpoint));
      let prev = 0;
      for (let i = 0; i < 160; i++) {
        const bytes = new Uint8Array([prev & 0xff, (prev >>> 8) & 0xff, (prev >>> 16) & 0xff, (prev >>> 24) & 0xff]);
        const hash = (crcUpdate(base, bytes) ^ 0xffffffff) >>> 0;
        points.push({ hash, endpoint });
        prev = hash;
      }
    }
    points.sort((a, b) => a.hash - b.hash);
    if (rings.size >= 64) rings.clear();
    rings.set(id, points);
    ring = points;
  }
  const hash = crc32(key);
  let lo = 0;
  let hi = ring.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ring[mid] as RingPoint).hash < hash) lo = mid + 1;
    else hi = mid;
  }
  return (ring[lo === ring.length ? 0 : lo] as RingPoint).endpoint;
}
