import { createHash } from 'node:crypto';
import aprMd5 from 'apache-md5';
import apacheCrypt from 'apache-crypt';
import bcrypt from 'bcryptjs';
import { parseGoIP, type NginxAccess, type NginxCidr } from '../model/nginx/access.js';

/**
 * nginx's access phase for one location of ingress-nginx: the `deny`/`allow` rules of
 * allowlist-source-range and denylist-source-range (ngx_http_access_module), `auth_basic`
 * (ngx_http_auth_basic_module, ngx_http_auth_basic_user in ngx_http_core_module.c, ngx_crypt.c)
 * and `satisfy` (ngx_http_core_access_phase, ngx_http_core_post_access_phase).
 *
 * Handlers of a phase run in the reverse order of their modules (ngx_http_init_phase_handlers);
 * ngx_http_access_module comes after ngx_http_auth_basic_module in auto/modules, so the address
 * is checked first. auth_digest is a dynamic module (load_module in nginx.tmpl), added after
 * every static one, so its handler runs before the address check.
 *
 * A Denied location (NginxAccess.denied) never gets here: its `return 503;` runs in the rewrite
 * phase. A location under the ConfigMap's no-auth-locations gets no auth_basic: pass `auth: null`.
 */

export type NginxAccessDecision =
  | { readonly kind: 'allow'; readonly why: string; readonly user?: string }
  | { readonly kind: 'deny'; readonly status: 403; readonly why: string }
  /** 401 with `WWW-Authenticate: Basic realm="<realm>"`. */
  | { readonly kind: 'auth'; readonly status: 401; readonly realm: string; readonly why: string };

type HandlerResult = { readonly rc: 'declined' } | { readonly rc: 'ok'; readonly why: string; readonly user?: string } | { readonly rc: 403 | 401; readonly why: string };

interface Rule {
  readonly deny: boolean;
  /** null: `all`. */
  readonly cidr: NginxCidr | null;
  readonly from: string;
}

/** The `deny`/`allow` lines nginx.tmpl writes: the denylist first, then the allowlist and `deny all`. */
function accessRules(access: NginxAccess): readonly Rule[] {
  const rules: Rule[] = (access.denylist ?? []).map((cidr) => ({ deny: true, cidr, from: 'denylist-source-range' }));
  if (access.allowlist !== null && access.allowlist.length > 0) {
    rules.push(...access.allowlist.map((cidr) => ({ deny: false, cidr, from: 'allowlist-source-range' })));
    rules.push({ deny: true, cidr: null, from: 'allowlist-source-range' });
  }
  return rules;
}

/**
 * The client address as nginx sees it on an IPv4 listener: Node's dual-stack sockets report
 * `::ffff:a.b.c.d`, which is the IPv4 client a.b.c.d (ngx_http_access_handler checks an
 * IPv4-mapped address against the IPv4 rules, too). A zone (`%eth0`) is dropped.
 */
export function nginxClientAddress(address: string | null): { readonly family: 4 | 6; readonly value: bigint } | null {
  if (address === null) return null;
  const ip = parseGoIP(address.replace(/%.*$/, ''));
  if (ip === null) return null;
  if (ip.family === 6 && ip.value >> 32n === 0xffffn) return { family: 4, value: ip.value & 0xffffffffn };
  return ip;
}

function checkAddress(access: NginxAccess, address: string | null): HandlerResult {
  const rules = accessRules(access);
  if (rules.length === 0) return { rc: 'declined' };
  const client = nginxClientAddress(address);
  // `allow`/`deny` with an IPv4 operand go to the IPv4 list, IPv6 to the IPv6 list, `all` to
  // both (and to the unix-socket list, used here for an unknown address); a client is checked
  // only against its family's list, first match wins, and no match declines (ngx_http_access_inet).
  const family = client?.family ?? null;
  const list = rules.filter((r) => r.cidr === null || r.cidr.family === family);
  if (list.length === 0) return { rc: 'declined' };
  const shown = address ?? 'an unknown address';
  for (const rule of list) {
    const bits = rule.cidr?.family === 4 ? 32 : 128;
    const hit = rule.cidr === null || (client !== null && client.value >> BigInt(bits - rule.cidr.prefix) === rule.cidr.network >> BigInt(bits - rule.cidr.prefix));
    if (!hit) continue;
    const operand = rule.cidr === null ? 'all' : rule.cidr.text;
    return rule.deny
      ? { rc: 403, why: `client ${shown} matches "deny ${operand};" (${rule.from})` }
      : { rc: 'ok', why: `client ${shown} matches "allow ${operand};" (allowlist-source-range)` };
  }
  return { rc: 'declined' };
}

/** ngx_decode_base64: the standard alphabet, stopping at `=`; any other character, or a length of 4n+1, fails. */
function decodeNginxBase64(text: string): Buffer | null {
  const end = text.indexOf('=');
  const body = end === -1 ? text : text.slice(0, end);
  if (!/^[A-Za-z0-9+/]*$/.test(body) || body.length % 4 === 1) return null;
  return Buffer.from(body, 'base64');
}

/** ngx_http_auth_basic_user: `Basic ` (any case), spaces, base64 of `user:password`; null when nginx finds no credentials. */
export function parseBasicAuthorization(header: string | undefined): { readonly user: string; readonly password: Buffer } | null {
  if (header === undefined || header.length < 6 || header.slice(0, 6).toLowerCase() !== 'basic ') return null;
  const encoded = header.slice(6).replace(/^ +/, '');
  if (encoded === '') return null;
  const decoded = decodeNginxBase64(encoded);
  if (decoded === null) return null;
  const colon = decoded.indexOf(0x3a);
  if (colon <= 0) return null;
  return { user: decoded.subarray(0, colon).toString('utf8'), password: decoded.subarray(colon + 1) };
}

/**
 * ngx_crypt: `$apr1$`, `{PLAIN}`, `{SSHA}`, `{SHA}` by nginx itself, anything else by libc's
 * crypt() (musl in the controller image: DES, `$1$`, bcrypt `$2a$`/`$2b$`/`$2y$`, `$5$`, `$6$`).
 * The password matches when the hash computed with the stored salt equals the stored string.
 * `$5$`, `$6$`, `$2x$` and `_` (extended DES) are not emulated: they never match here.
 * bcrypt is deliberately slow: a cost-10 hash takes ~50–100 ms per check.
 */
export function verifyHtpasswdHash(password: Buffer, stored: string): { readonly ok: boolean; readonly unsupported?: string } {
  // apache-md5 and apache-crypt hash each character's low byte: a latin1 string carries the bytes as nginx sees them.
  const bytes = password.toString('latin1');
  try {
    if (stored.startsWith('$apr1$') || stored.startsWith('$1$')) return { ok: aprMd5(bytes, stored) === stored };
    if (stored.startsWith('{PLAIN}')) return { ok: Buffer.from(stored.slice(7), 'utf8').equals(password) };
    if (stored.startsWith('{SHA}')) return { ok: `{SHA}${sha1(password).toString('base64')}` === stored };
    if (stored.startsWith('{SSHA}')) {
      const decoded = decodeNginxBase64(stored.slice(6));
      const salt = decoded === null || decoded.length < 20 ? Buffer.alloc(0) : decoded.subarray(20);
      const digest = sha1(Buffer.concat([password, salt]));
      return { ok: `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}` === stored };
    }
    if (/^\$2[aby]\$/.test(stored)) return { ok: bcrypt.compareSync(password.toString('utf8'), stored) };
    if (stored.startsWith('$') || stored.startsWith('_')) return { ok: false, unsupported: `the hash scheme of "${stored.slice(0, 4)}…" is not emulated by ingress-dev` };
    if (stored.length < 2) return { ok: false };
    return { ok: apacheCrypt(bytes, stored) === stored };
  } catch {
    return { ok: false };
  }
}

/** SHA-1, for {SHA} and {SSHA}. */
function sha1(message: Buffer): Buffer {
  return createHash('sha1').update(message).digest();
}

function checkBasicAuth(access: NginxAccess, authorization: string | undefined, users: ReadonlyMap<string, string> | null): HandlerResult {
  const auth = access.auth;
  if (auth === null) return { rc: 'declined' };
  if (auth.type === 'digest') return { rc: 401, why: 'auth-type digest is not emulated by ingress-dev: every request is refused' };
  // ngx_http_auth_basic_handler: a realm of "off" turns auth_basic off.
  if (auth.realm === 'off') return { rc: 'declined' };
  const credentials = parseBasicAuthorization(authorization);
  if (credentials === null) return { rc: 401, why: 'no user/password was provided for basic authentication' };
  const stored = users?.get(credentials.user);
  if (stored === undefined) return { rc: 401, why: `user "${credentials.user}" was not found in ${auth.secret.name}` };
  const verified = verifyHtpasswdHash(credentials.password, stored);
  if (verified.ok) return { rc: 'ok', why: `user "${credentials.user}" authenticated`, user: credentials.user };
  return { rc: 401, why: verified.unsupported ?? `user "${credentials.user}": password mismatch` };
}

/**
 * What nginx does with a request in the access phase of this location: pass it on, 403, or 401.
 * `users` is the auth-secret's users (parseHtpasswdSecret); null counts as a file with none.
 * satisfy all (the default): the first handler that refuses ends the request with its status.
 * satisfy any: the first that accepts lets the request through; when none does, 401 wins over
 * 403 whatever the order; when every handler declines, the request passes.
 */
export function checkAccess(access: NginxAccess, client: { readonly address: string | null; readonly authorization: string | undefined }, users: ReadonlyMap<string, string> | null): NginxAccessDecision {
  const address = (): HandlerResult => checkAddress(access, client.address);
  const password = (): HandlerResult => checkBasicAuth(access, client.authorization, users);
  const handlers = access.auth?.type === 'digest' ? [password, address] : [address, password];
  const realm = access.auth?.realm ?? '';
  const refuse = (r: { readonly rc: 403 | 401; readonly why: string }): NginxAccessDecision =>
    r.rc === 403 ? { kind: 'deny', status: 403, why: r.why } : { kind: 'auth', status: 401, realm, why: r.why };

  if (access.satisfy !== 'any') {
    const passed: string[] = [];
    let user: string | undefined;
    for (const handler of handlers) {
      const r = handler();
      if (r.rc === 'declined') continue;
      if (r.rc !== 'ok') return refuse(r);
      passed.push(r.why);
      user ??= r.user;
    }
    const why = passed.length === 0 ? 'no access rule applies' : passed.join('; ');
    return user === undefined ? { kind: 'allow', why } : { kind: 'allow', why, user };
  }

  let code: { readonly rc: 403 | 401; readonly why: string } | null = null;
  for (const handler of handlers) {
    const r = handler();
    if (r.rc === 'declined') continue;
    if (r.rc === 'ok') return r.user === undefined ? { kind: 'allow', why: `satisfy any: ${r.why}` } : { kind: 'allow', why: `satisfy any: ${r.why}`, user: r.user };
    if (code?.rc !== 401) code = r;
  }
  return code === null ? { kind: 'allow', why: 'satisfy any: no access rule applies' } : refuse({ rc: code.rc, why: `satisfy any: ${code.why}` });
}
