import type { NginxAnnotation } from './annotation.js';

/**
 * Who may use a location: `allowlist-source-range` (and its older name
 * `whitelist-source-range`), `denylist-source-range` (annotations/ipallowlist, ipdenylist),
 * basic auth (`auth-type`, `auth-secret`, `auth-secret-type`, `auth-realm`: annotations/auth)
 * and `satisfy` (annotations/satisfy). nginx.tmpl writes, in the location:
 *
 *     deny <denylist>; …  allow <allowlist>; … deny all;   (deny all only with an allowlist)
 *     auth_basic "<realm>"; auth_basic_user_file <file>; proxy_set_header Authorization "";
 *     satisfy <any|all>;                                   (only when set)
 *
 * A value that ingress-nginx turns into a LocationDeniedError makes the location `return 503;`
 * (nginx.tmpl "Location denied"); a ValidationError makes annotations.Extract drop the Ingress.
 */

/** One `allow`/`deny` operand: an address (a full-length prefix) or a network. */
export interface NginxCidr {
  /** As Go prints it (net.IP.String / net.IPNet.String), which is what nginx.tmpl writes. */
  readonly text: string;
  readonly family: 4 | 6;
  /** The network address (host bits cleared). */
  readonly network: bigint;
  readonly prefix: number;
}

export interface NginxBasicAuth {
  /** `basic` (auth_basic, emulated) or `digest` (auth_digest, a dynamic module; not emulated). */
  readonly type: 'basic' | 'digest';
  /** `auth-realm`; '' when not set (nginx then sends `Basic realm=""`; "off" disables auth_basic). */
  readonly realm: string;
  /** `auth-secret`: `name` or `namespace/name`; namespace null means the Ingress's own. */
  readonly secret: { readonly namespace: string | null; readonly name: string };
  readonly secretType: 'auth-file' | 'auth-map';
}

export interface NginxAccess {
  /** `allow …; deny all;`. null: not set, the ConfigMap's `whitelist-source-range` applies (default none). */
  readonly allowlist: readonly NginxCidr[] | null;
  /** `deny …;`, written before the allowlist. null: the ConfigMap's `denylist-source-range` (default none). */
  readonly denylist: readonly NginxCidr[] | null;
  readonly auth: NginxBasicAuth | null;
  /** `satisfy`; '' writes nothing, and nginx's default is `all`. */
  readonly satisfy: 'any' | 'all' | '';
  /** Set: ingress-nginx marks the location Denied, and it answers 503 to every request. */
  readonly denied: string | null;
}

export const noNginxAccess: NginxAccess = { allowlist: null, denylist: null, auth: null, satisfy: '', denied: null };

/** Go's net.ParseIP (netip rules: no leading zeros in IPv4, no zone). null when Go refuses it. */
export function parseGoIP(text: string): { readonly family: 4 | 6; readonly value: bigint } | null {
  if (text.includes(':')) {
    const v6 = parseIPv6(text);
    return v6 === null ? null : { family: 6, value: v6 };
  }
  const v4 = parseIPv4(text);
  return v4 === null ? null : { family: 4, value: v4 };
}

function parseIPv4(text: string): bigint | null {
  const fields = text.split('.');
  if (fields.length !== 4) return null;
  let value = 0n;
  for (const field of fields) {
    if (!/^\d{1,3}$/.test(field) || (field.length > 1 && field.startsWith('0'))) return null;
    const n = Number(field);
    if (n > 255) return null;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIPv6(text: string): bigint | null {
  const ellipsis = text.indexOf('::');
  if (ellipsis !== -1 && text.indexOf('::', ellipsis + 1) !== -1) return null;
  const groups = (part: string, last: boolean): bigint[] | null => {
    if (part === '') return [];
    const out: bigint[] = [];
    const pieces = part.split(':');
    for (const [i, piece] of pieces.entries()) {
      if (last && i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIPv4(piece);
        if (v4 === null) return null;
        out.push(v4 >> 16n, v4 & 0xffffn);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) {
        out.push(BigInt(Number.parseInt(piece, 16)));
      } else {
        return null;
      }
    }
    return out;
  };
  let all: bigint[];
  if (ellipsis === -1) {
    const g = groups(text, true);
    if (g === null || g.length !== 8) return null;
    all = g;
  } else {
    const head = groups(text.slice(0, ellipsis), false);
    const tail = groups(text.slice(ellipsis + 2), true);
    // netip: the ellipsis must stand for at least one zero group.
    if (head === null || tail === null || head.length + tail.length > 7) return null;
    all = [...head, ...Array<bigint>(8 - head.length - tail.length).fill(0n), ...tail];
  }
  return all.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** Go's IP.String: IPv4-mapped IPv6 prints as IPv4; IPv6 as RFC 5952 (the longest run of 2+ zero groups is `::`). */
function formatGoIP(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  if (value >> 32n === 0xffffn) return formatGoIP(4, value & 0xffffffffn);
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((s) => Number((value >> s) & 0xffffn));
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string => groups.slice(from, to).map((g) => g.toString(16)).join(':');
  return bestAt === -1 ? hex(0, 8) : `${hex(0, bestAt)}::${hex(bestAt + bestLen, 8)}`;
}

function mask(bits: number, prefix: number): bigint {
  return ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
}

/** One entry as net.ParseIPNets reads it: first as a CIDR (net.ParseCIDR), then as an address (net.ParseIP). */
export function parseGoCidr(entry: string): NginxCidr | null {
  const spec = entry.trim();
  const slash = spec.indexOf('/');
  if (slash === -1) {
    const ip = parseGoIP(spec);
    if (ip === null) return null;
    // A single address is written as Go prints it: `::ffff:1.2.3.4` becomes the IPv4 rule `1.2.3.4`.
    if (ip.family === 6 && ip.value >> 32n === 0xffffn) return { text: formatGoIP(4, ip.value & 0xffffffffn), family: 4, network: ip.value & 0xffffffffn, prefix: 32 };
    return { text: formatGoIP(ip.family, ip.value), family: ip.family, network: ip.value, prefix: ip.family === 4 ? 32 : 128 };
  }
  const ip = parseGoIP(spec.slice(0, slash));
  const bitsText = spec.slice(slash + 1);
  if (ip === null || !/^\d+$/.test(bitsText)) return null;
  const bits = ip.family === 4 ? 32 : 128;
  const prefix = Number(bitsText);
  if (prefix > bits) return null;
  const network = ip.value & mask(bits, prefix);
  // IPNet.String prints an IPv4-mapped network as IPv4 with the prefix less 96.
  if (ip.family === 6 && prefix >= 96 && network >> 32n === 0xffffn) {
    return { text: `${formatGoIP(4, network & 0xffffffffn)}/${prefix - 96}`, family: 4, network: network & 0xffffffffn, prefix: prefix - 96 };
  }
  return { text: `${formatGoIP(ip.family, network)}/${prefix}`, family: ip.family, network, prefix };
}

/**
 * net.ParseCIDRs (internal/net/ipnet.go), the validator of the source-range annotations: split
 * on `,`, each entry trimmed, read as a CIDR or an address; one bad entry (an empty one too, as
 * after a trailing comma) refuses the whole value. The result is deduplicated and sorted as Go
 * sorts strings.
 */
export function parseGoCidrList(value: string): { readonly ok: true; readonly cidrs: readonly NginxCidr[] } | { readonly ok: false; readonly entry: string } {
  const byText = new Map<string, NginxCidr>();
  for (const entry of value.split(',')) {
    const cidr = parseGoCidr(entry);
    if (cidr === null) return { ok: false, entry: entry.trim() };
    byText.set(cidr.text, cidr);
  }
  return { ok: true, cidrs: [...byText.values()].toSorted((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0)) };
}

function sourceRange(name: string, doc: string): NginxAnnotation<readonly NginxCidr[]> {
  return {
    name,
    doc,
    parse(value) {
      const parsed = parseGoCidrList(value);
      return parsed.ok
        ? { ok: true, value: parsed.cidrs }
        : { ok: false, error: `has "${parsed.entry}", which is not an IP address or CIDR; ingress-nginx makes the location answer 503`, hint: 'Write addresses or networks separated by commas, such as "10.0.0.0/8, 192.168.1.7, 2001:db8::/32"' };
    },
  };
}

export const allowlistSourceRange = sourceRange('allowlist-source-range', 'only clients in these CIDRs may use the location; others get 403');
/** The older name: read only when allowlist-source-range is empty or absent (parser.checkAnnotation AnnotationAliases). */
export const whitelistSourceRange = sourceRange('whitelist-source-range', 'older name of allowlist-source-range');
export const denylistSourceRange = sourceRange('denylist-source-range', 'clients in these CIDRs get 403 (checked before the allowlist)');

/** parser.ValidateRegex's last check: no CR or LF. */
const malicious = /[\r\n]/;

/**
 * `auth-type`: validated with the unanchored regex `basic|digest` after removing spaces, so
 * "basicx" passes (and nginx.tmpl, which tests `eq Type "basic"`, then writes auth_digest).
 * A value refused here is a ValidationError: ingress-nginx drops the whole Ingress.
 */
export const authType: NginxAnnotation<string> = {
  name: 'auth-type',
  doc: 'basic or digest: the location asks for a user and password from auth-secret',
  parse(value) {
    const squeezed = value.replaceAll(' ', '');
    return /basic|digest/.test(squeezed) && !malicious.test(squeezed)
      ? { ok: true, value: value.trim() }
      : { ok: false, error: `"${value}" is neither basic nor digest; ingress-nginx does not serve this Ingress`, hint: 'Write "basic" (or "digest")' };
  },
};

/**
 * `auth-secret` (parser.BasicCharsRegex with spaces removed, then cache.SplitMetaNamespaceKey):
 * `name` or `namespace/name`. Any error here is a LocationDeniedError: the location answers 503.
 */
export const authSecret: NginxAnnotation<{ readonly namespace: string | null; readonly name: string }> = {
  name: 'auth-secret',
  doc: 'the Secret (name or namespace/name) with the users and password hashes; missing, the location answers 503',
  parse(value) {
    const squeezed = value.replaceAll(' ', '');
    const bad = { ok: false, error: `"${value}" is not a Secret name; ingress-nginx makes the location answer 503`, hint: 'Write the Secret\'s name, or namespace/name' } as const;
    if (!/^[-._~a-zA-Z0-9/:]*$/.test(squeezed)) return bad;
    const parts = value.trim().split('/');
    if (parts.length === 1) return { ok: true, value: { namespace: null, name: parts[0] as string } };
    if (parts.length === 2) return { ok: true, value: { namespace: parts[0] === '' ? null : (parts[0] as string), name: parts[1] as string } };
    return bad;
  },
};

/**
 * `auth-secret-type`: validated with the unanchored regex `auth-file|auth-map` (spaces removed;
 * a refusal drops the Ingress); a value that passes but is neither exactly makes the location
 * answer 503 (auth/main.go's switch).
 */
export const authSecretType: NginxAnnotation<string> = {
  name: 'auth-secret-type',
  doc: 'auth-file (default: an htpasswd file in the Secret\'s key `auth`) or auth-map (each key a user, each value a hash)',
  parse(value) {
    const squeezed = value.replaceAll(' ', '');
    return /auth-file|auth-map/.test(squeezed) && !malicious.test(squeezed)
      ? { ok: true, value: value.trim() }
      : { ok: false, error: `"${value}" is neither auth-file nor auth-map; ingress-nginx does not serve this Ingress`, hint: 'Write "auth-file" or "auth-map"' };
  },
};

/** `auth-realm` (parser.CharsWithSpace, spaces kept): a refusal drops the Ingress. */
export const authRealm: NginxAnnotation<string> = {
  name: 'auth-realm',
  doc: 'the realm in WWW-Authenticate: Basic realm="…" (default empty)',
  parse(value) {
    return /^[-._~a-zA-Z0-9/: ]*$/.test(value)
      ? { ok: true, value: value.trim() }
      : { ok: false, error: `"${value}" has characters ingress-nginx does not allow in a realm; ingress-nginx does not serve this Ingress`, hint: 'Use letters, digits, spaces and - . _ ~ / :' };
  },
};

/**
 * `satisfy` (parser.ValidateOptions any|all, case-sensitive, trimmed). satisfy.Parse never
 * returns an error: a refused value is '' (no directive, nginx's `satisfy all`).
 */
export const satisfy: NginxAnnotation<'any' | 'all'> = {
  name: 'satisfy',
  doc: 'any: the client address or the password is enough; all (nginx\'s default): both are needed',
  parse(value) {
    const v = value.trim();
    return v === 'any' || v === 'all' ? { ok: true, value: v } : { ok: false, error: `"${value}" is neither any nor all; ingress-nginx ignores it`, hint: 'Write "any" or "all" (lower case)' };
  },
};

export const nginxAccessAnnotations: readonly NginxAnnotation<unknown>[] = [allowlistSourceRange, whitelistSourceRange, denylistSourceRange, authType, authSecret, authSecretType, authRealm, satisfy];

/** Annotations whose refused value makes the location answer 503 (LocationDeniedError), not ignored. */
export const accessDeniesLocation: ReadonlySet<string> = new Set([allowlistSourceRange, whitelistSourceRange, denylistSourceRange, authSecret].map((a) => a.name));

/** Annotations whose refused value drops the Ingress (a ValidationError returned from auth.Parse). */
export const accessDropsIngress: ReadonlySet<string> = new Set([authType, authSecretType, authRealm].map((a) => a.name));

/**
 * The access annotations of one Ingress. `read` is the registry's (null: not set or refused);
 * `written`, when given, is the raw value (undefined: absent), needed where ingress-nginx tells
 * an empty or refused value from an absent one: an empty allowlist-source-range,
 * denylist-source-range or auth-secret denies the location (parseString's "does not contain a
 * valid value"), and whitelist-source-range is read only when allowlist-source-range is empty.
 */
export function readNginxAccess(read: <T>(a: NginxAnnotation<T>) => T | null, written?: (name: string) => string | undefined): NginxAccess {
  const denials: string[] = [];
  const range = (a: NginxAnnotation<readonly NginxCidr[]>, alias?: NginxAnnotation<readonly NginxCidr[]>): readonly NginxCidr[] | null => {
    if (written === undefined) return read(a) ?? (alias === undefined ? null : read(alias));
    let chosen = a;
    let raw = written(a.name);
    if ((raw ?? '') === '' && alias !== undefined && (written(alias.name) ?? '') !== '') {
      chosen = alias;
      raw = written(alias.name);
    }
    if (raw === undefined) return null;
    const cidrs = raw === '' ? null : read(chosen);
    if (cidrs === null) denials.push(`${chosen.name} ${raw === '' ? 'is empty' : `"${raw}" is not a list of IPs and CIDRs`}`);
    return cidrs;
  };
  const allowlist = range(allowlistSourceRange, whitelistSourceRange);
  const denylist = range(denylistSourceRange);
  const auth = readAuth(read, written, denials);
  return { allowlist, denylist, auth, satisfy: read(satisfy) ?? '', denied: denials[0] ?? null };
}

function readAuth(read: <T>(a: NginxAnnotation<T>) => T | null, written: ((name: string) => string | undefined) | undefined, denials: string[]): NginxBasicAuth | null {
  // auth.Parse returns early when auth-type is missing or empty: the other auth-* are not looked at.
  const type = read(authType);
  if (type === null) return null;
  if (!/basic|digest/.test(type)) {
    denials.push(`auth-type "${type}" is not an authentication type`);
    return null;
  }
  const secretType = read(authSecretType);
  if (secretType === null && (written?.(authSecretType.name) ?? '') !== '') return null; // refused: the Ingress is dropped
  const secret = read(authSecret);
  if (secret === null) {
    denials.push('auth-secret is missing or not a Secret name');
    return null;
  }
  const realm = read(authRealm);
  if (realm === null && (written?.(authRealm.name) ?? '') !== '') return null; // refused: the Ingress is dropped
  const kind = secretType ?? 'auth-file';
  if (kind !== 'auth-file' && kind !== 'auth-map') {
    denials.push(`auth-secret-type "${kind}" must be auth-file or auth-map`);
    return null;
  }
  return { type: type === 'basic' ? 'basic' : 'digest', realm: realm ?? '', secret, secretType: kind };
}

/**
 * The Secret an auth-secret names: its namespace defaults to the Ingress's; another namespace is
 * refused (location 503) unless the ConfigMap's `allow-cross-namespace-resources` is true (default false).
 */
export function resolveNginxAuthSecret(auth: NginxBasicAuth, ingressNamespace: string, allowCrossNamespace = false): { readonly namespace: string; readonly name: string } | { readonly denied: string } {
  const namespace = auth.secret.namespace ?? ingressNamespace;
  if (namespace !== ingressNamespace && !allowCrossNamespace) return { denied: 'cross namespace usage of secrets is not allowed' };
  return { namespace, name: auth.secret.name };
}

/**
 * The users of a basic-auth Secret, as nginx reads the file ingress-nginx writes from it
 * (auth/main.go dumpSecretAuthFile / dumpSecretAuthMap). `data` is base64, `stringData` plain
 * and wins (as the API server merges it). auth-file: the key `auth` holds an htpasswd file;
 * without it the location answers 503. auth-map: every key is a user and its value the hash.
 */
export function parseHtpasswdSecret(
  secret: { readonly type?: string; readonly data?: Readonly<Record<string, string>>; readonly stringData?: Readonly<Record<string, string>> },
  secretType: 'auth-file' | 'auth-map',
): { readonly users: ReadonlyMap<string, string> } | { readonly error: string; readonly hint: string } {
  const values = new Map<string, string>();
  for (const [key, encoded] of Object.entries(secret.data ?? {})) {
    const compact = encoded.replace(/\s+/g, '');
    if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) {
      return { error: `data.${key} is not base64`, hint: 'Values under data: are base64 (kubectl refuses the Secret otherwise); put plain text under stringData:' };
    }
    values.set(key, Buffer.from(compact, 'base64').toString('utf8'));
  }
  for (const [key, plain] of Object.entries(secret.stringData ?? {})) values.set(key, plain);
  if (secretType === 'auth-map') {
    return { users: parseHtpasswd([...values].map(([user, hash]) => `${user}:${hash}\n`).join('')) };
  }
  const file = values.get('auth');
  if (file === undefined) {
    return { error: 'the Secret has no key `auth`; ingress-nginx makes the location answer 503', hint: 'Create it from an htpasswd file named auth: kubectl create secret generic basic-auth --from-file=auth' };
  }
  return { users: parseHtpasswd(file) };
}

/**
 * An htpasswd file as ngx_http_auth_basic_module scans it: a line starting with `#` or CR is
 * skipped; the user is everything before the first `:`; the hash ends at the next `:`, CR or LF;
 * the first line of a user wins.
 */
export function parseHtpasswd(text: string): ReadonlyMap<string, string> {
  const users = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('\r')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const user = line.slice(0, colon);
    if (!users.has(user)) users.set(user, (/^[^:\r]*/.exec(line.slice(colon + 1)) as RegExpExecArray)[0]);
  }
  return users;
}
