import { describe, expect, it } from 'vitest';
import aprMd5 from 'apache-md5';
import bcrypt from 'bcryptjs';
import type { NginxAnnotation } from './annotation.js';
import {
  allowlistSourceRange,
  authRealm,
  authSecret,
  authSecretType,
  authType,
  denylistSourceRange,
  parseGoCidrList,
  parseHtpasswd,
  parseHtpasswdSecret,
  readNginxAccess,
  resolveNginxAuthSecret,
  satisfy,
  type NginxAccess,
} from './access.js';

/** Reads annotations as the registry does: an empty value is "not set", a refused one null. */
function access(annotations: Record<string, string>): NginxAccess {
  const read = <T>(a: NginxAnnotation<T>): T | null => {
    const value = annotations[a.name];
    if (value === undefined || value === '') return null;
    const parsed = a.parse(value);
    return parsed.ok ? parsed.value : null;
  };
  return readNginxAccess(read, (name) => annotations[name]);
}

const texts = (value: string): readonly string[] | string => {
  const parsed = parseGoCidrList(value);
  return parsed.ok ? parsed.cidrs.map((c) => c.text) : `refused ${parsed.entry}`;
};

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

describe('source ranges (ipallowlist/main.go, ipdenylist/main.go, internal/net ParseIPNets)', () => {
  it('reads one network (ipallowlist/main_test.go "test parse a valid net")', () => {
    expect(access({ 'allowlist-source-range': '10.0.0.0/24' }).allowlist?.map((c) => c.text)).toEqual(['10.0.0.0/24']);
  });

  it('sorts several networks as Go sorts strings (ipallowlist/main_test.go "test parse multiple valid cidr")', () => {
    expect(texts('2.2.2.2/32,1.1.1.1/32,3.3.3.0/24')).toEqual(['1.1.1.1/32', '2.2.2.2/32', '3.3.3.0/24']);
  });

  it('trims spaces around entries (test/e2e/annotations/ipallowlist.go "should set valid ip allowlist range")', () => {
    expect(access({ 'allowlist-source-range': '18.0.0.0/8, 56.0.0.0/8' }).allowlist?.map((c) => c.text)).toEqual(['18.0.0.0/8', '56.0.0.0/8']);
  });

  it('keeps a single address as an address (test/e2e/annotations/ipdenylist.go "only deny explicitly denied IPs")', () => {
    expect(access({ 'denylist-source-range': '18.0.0.0/8, 56.0.0.1' }).denylist?.map((c) => c.text)).toEqual(['18.0.0.0/8', '56.0.0.1']);
  });

  it('denies the location (503) on a value that is not a network (ipallowlist/main_test.go "test parse a invalid net")', () => {
    expect(allowlistSourceRange.parse('ww').ok).toBe(false);
    const result = access({ 'allowlist-source-range': 'ww' });
    expect(result.allowlist).toBeNull();
    expect(result.denied).toMatch(/allowlist-source-range/);
  });

  it('denies the location when one entry of several is bad (ipdenylist/main_test.go `10.0.0.0/8"rm /tmp",11.0.0.0/8`)', () => {
    expect(denylistSourceRange.parse('10.0.0.0/8"rm /tmp",11.0.0.0/8').ok).toBe(false);
    expect(access({ 'denylist-source-range': '10.0.0.0/8"rm /tmp",11.0.0.0/8' }).denied).toMatch(/denylist-source-range/);
  });

  it('denies the location on an empty value (ipallowlist/main_test.go and ipdenylist/main_test.go "test parse a empty net")', () => {
    expect(access({ 'allowlist-source-range': '' }).denied).toMatch(/empty/);
    expect(access({ 'denylist-source-range': '' }).denied).toMatch(/empty/);
  });

  it('reads the older name whitelist-source-range (ipallowlist/main_test.go TestLegacyAnnotation)', () => {
    expect(access({ 'whitelist-source-range': '2.2.2.2/32,1.1.1.1/32,3.3.3.0/24' }).allowlist?.map((c) => c.text)).toEqual(['1.1.1.1/32', '2.2.2.2/32', '3.3.3.0/24']);
    expect(access({ 'whitelist-source-range': '18.0.0.0/8, 55.0.0.0/8', 'denylist-source-range': '18.1.0.0/16, 56.0.0.0/8' }).allowlist?.map((c) => c.text)).toEqual(['18.0.0.0/8', '55.0.0.0/8']);
  });

  it('prefers allowlist-source-range over whitelist-source-range, and an empty one falls back (parser/validators.go checkAnnotation AnnotationAliases)', () => {
    expect(access({ 'allowlist-source-range': '10.0.0.0/8', 'whitelist-source-range': '11.0.0.0/8' }).allowlist?.map((c) => c.text)).toEqual(['10.0.0.0/8']);
    expect(access({ 'allowlist-source-range': '', 'whitelist-source-range': '11.0.0.0/8' }).allowlist?.map((c) => c.text)).toEqual(['11.0.0.0/8']);
    expect(access({ 'allowlist-source-range': 'bad', 'whitelist-source-range': '11.0.0.0/8' }).denied).toMatch(/allowlist-source-range/);
  });

  it('leaves an absent annotation to the ConfigMap default (ipallowlist/main.go ErrMissingAnnotations)', () => {
    expect(access({})).toEqual({ allowlist: null, denylist: null, auth: null, satisfy: '', denied: null });
  });

  it('reads addresses and networks as Go net.ParseCIDR / net.ParseIP do (internal/net/ipnet.go ParseIPNets)', () => {
    expect(texts('10.0.0.1/8')).toEqual(['10.0.0.0/8']);
    expect(texts('2001:DB8::1/32, ::1')).toEqual(['2001:db8::/32', '::1']);
    expect(texts('::ffff:1.2.3.4')).toEqual(['1.2.3.4']);
    expect(texts('10.0.0.1, 10.0.0.1/32')).toEqual(['10.0.0.1', '10.0.0.1/32']);
    expect(texts('0.0.0.0/0')).toEqual(['0.0.0.0/0']);
    expect(texts('2001:0:0:1:0:0:0:1')).toEqual(['2001:0:0:1::1']);
  });

  it('refuses what Go refuses: leading zeros, prefixes too long, zones, a trailing comma (internal/net/ipnet.go ParseIPNets)', () => {
    expect(texts('010.0.0.1')).toBe('refused 010.0.0.1');
    expect(texts('1.2.3.4/33')).toBe('refused 1.2.3.4/33');
    expect(texts('fe80::1%eth0')).toBe('refused fe80::1%eth0');
    expect(texts('1.2.3.4,')).toBe('refused ');
    expect(texts('1:2:3:4:5:6:7::8')).toBe('refused 1:2:3:4:5:6:7::8');
    expect(texts('1.2.3')).toBe('refused 1.2.3');
  });
});

describe('auth-* annotations (annotations/auth/main.go)', () => {
  const basic = { 'auth-type': 'basic', 'auth-secret': 'demo-secret', 'auth-realm': '-realm-' };

  it('reads type, realm and secret (auth/main_test.go TestIngressAuth)', () => {
    expect(access(basic).auth).toEqual({ type: 'basic', realm: '-realm-', secret: { namespace: null, name: 'demo-secret' }, secretType: 'auth-file' });
    expect(access(basic).denied).toBeNull();
  });

  it('has no auth without auth-type (auth/main_test.go TestIngressWithoutAuth)', () => {
    expect(access({ 'auth-secret': 'demo-secret' }).auth).toBeNull();
  });

  it('refuses an auth-type that is neither basic nor digest, which drops the Ingress (auth/main_test.go TestIngressAuthBadAuthType)', () => {
    expect(authType.parse('invalid').ok).toBe(false);
    expect(access({ ...basic, 'auth-type': 'invalid' })).toMatchObject({ auth: null, denied: null });
  });

  it('refuses a realm with characters outside CharsWithSpace, which drops the Ingress (auth/main_test.go TestIngressInvalidRealm)', () => {
    expect(authRealm.parse('something weird ; location trying to { break }').ok).toBe(false);
    expect(access({ ...basic, 'auth-realm': 'something weird ; location trying to { break }' })).toMatchObject({ auth: null, denied: null });
  });

  it('denies the location for a Secret name with bad characters (auth/main_test.go TestIngressInvalidSecretName)', () => {
    expect(authSecret.parse('demo-secret;xpto').ok).toBe(false);
    expect(access({ ...basic, 'auth-secret': 'demo-secret;xpto' })).toMatchObject({ auth: null, denied: expect.stringMatching(/auth-secret/) });
  });

  it('denies the location without auth-secret (auth/main_test.go TestInvalidIngressAuthNoSecret; e2e auth.go "should return status code 503 when authentication is configured with an invalid secret")', () => {
    expect(access({ 'auth-type': 'basic' }).denied).toMatch(/auth-secret/);
  });

  it('reads namespace/name, and refuses another namespace unless allowed (auth/main_test.go TestIngressInvalidDifferentNamespace, TestIngressInvalidDifferentNamespaceAllowed)', () => {
    const auth = access({ ...basic, 'auth-secret': 'otherns/demo-secret' }).auth;
    expect(auth?.secret).toEqual({ namespace: 'otherns', name: 'demo-secret' });
    if (auth === null || auth === undefined) throw new Error('no auth');
    expect(resolveNginxAuthSecret(auth, 'default')).toEqual({ denied: 'cross namespace usage of secrets is not allowed' });
    expect(resolveNginxAuthSecret(auth, 'default', true)).toEqual({ namespace: 'otherns', name: 'demo-secret' });
    expect(resolveNginxAuthSecret({ ...auth, secret: { namespace: null, name: 'demo-secret' } }, 'default')).toEqual({ namespace: 'default', name: 'demo-secret' });
    expect(authSecret.parse('a/b/c').ok).toBe(false);
  });

  it('refuses an unknown auth-secret-type, which drops the Ingress (auth/main_test.go TestIngressAuthInvalidSecretKey)', () => {
    expect(authSecretType.parse('invalid-type').ok).toBe(false);
    expect(access({ ...basic, 'auth-secret-type': 'invalid-type' })).toMatchObject({ auth: null, denied: null });
  });

  it('reads auth-map, and denies the location for a type that only contains auth-map (auth/main.go switch secretType)', () => {
    expect(access({ ...basic, 'auth-secret-type': 'auth-map' }).auth?.secretType).toBe('auth-map');
    expect(access({ ...basic, 'auth-secret-type': 'xauth-map' })).toMatchObject({ auth: null, denied: expect.stringMatching(/auth-secret-type/) });
  });

  it('writes auth_digest for any type other than exactly "basic" (nginx.tmpl `eq $location.BasicDigestAuth.Type "basic"`)', () => {
    expect(access({ ...basic, 'auth-type': 'digest' }).auth?.type).toBe('digest');
    expect(access({ ...basic, 'auth-type': 'basicx' }).auth?.type).toBe('digest');
  });

  it('defaults the realm to empty (auth/main.go: a missing auth-realm is "")', () => {
    expect(access({ 'auth-type': 'basic', 'auth-secret': 's' }).auth?.realm).toBe('');
  });
});

describe('satisfy (annotations/satisfy/main.go)', () => {
  it('reads any and all, and anything else is "" (satisfy/main_test.go TestSatisfyParser)', () => {
    expect(access({ satisfy: 'any' }).satisfy).toBe('any');
    expect(access({ satisfy: 'all' }).satisfy).toBe('all');
    expect(access({ satisfy: 'invalid' }).satisfy).toBe('');
    expect(access({ satisfy: '' }).satisfy).toBe('');
    expect(satisfy.parse('ANY').ok).toBe(false);
  });
});

describe('parseHtpasswdSecret (auth/main.go dumpSecretAuthFile, dumpSecretAuthMap)', () => {
  it('reads the htpasswd file of the docs example (docs/examples/auth/basic/README.md)', () => {
    const parsed = parseHtpasswdSecret({ type: 'Opaque', data: { auth: 'Zm9vOiRhcHIxJE9GRzNYeWJwJGNrTDBGSERBa29YWUlsSDkuY3lzVDAK' } }, 'auth-file');
    expect(parsed).toEqual({ users: new Map([['foo', '$apr1$OFG3Xybp$ckL0FHDAkoXYIlH9.cysT0']]) });
  });

  it('fails without the key auth, which makes the location answer 503 (auth/main_test.go TestDumpSecretAuthFile; docs/examples/auth/basic)', () => {
    expect(parseHtpasswdSecret({ data: { users: b64('foo:bar') } }, 'auth-file')).toMatchObject({ error: expect.stringMatching(/auth/) });
  });

  it('reads every key of an auth-map as a user (auth/main_test.go TestDumpSecretAuthMap; e2e auth.go "...configured with a map...")', () => {
    const hash = bcrypt.hashSync('bar', 4);
    const parsed = parseHtpasswdSecret({ data: { foo: b64(hash) }, stringData: { other: '{PLAIN}x' } }, 'auth-map');
    expect(parsed).toEqual({ users: new Map([['foo', hash], ['other', '{PLAIN}x']]) });
  });

  it('lets stringData win over data, as the API server merges them (Kubernetes Secret stringData)', () => {
    const parsed = parseHtpasswdSecret({ data: { auth: b64('foo:{PLAIN}old\n') }, stringData: { auth: 'foo:{PLAIN}new\n' } }, 'auth-file');
    expect(parsed).toEqual({ users: new Map([['foo', '{PLAIN}new']]) });
  });

  it('refuses data that is not base64', () => {
    expect(parseHtpasswdSecret({ data: { auth: 'foo:bar' } }, 'auth-file')).toMatchObject({ error: expect.stringMatching(/base64/) });
  });

  it('scans the file as nginx does: comments, CRLF, a trailing field, the first line of a user (ngx_http_auth_basic_module.c)', () => {
    const apr = aprMd5('bar');
    const users = parseHtpasswd(`# comment\r\nfoo:${apr}:comment\r\nfoo:{PLAIN}second\nnocolon\nbob:\n`);
    expect(users).toEqual(new Map([['foo', apr], ['bob', '']]));
  });
});
