import { describe, expect, it } from 'vitest';
import aprMd5 from 'apache-md5';
import apacheCrypt from 'apache-crypt';
import bcrypt from 'bcryptjs';
import { noNginxAccess, parseGoCidrList, parseHtpasswdSecret, type NginxAccess, type NginxBasicAuth, type NginxCidr } from '../model/nginx/access.js';
import { checkAccess, parseBasicAuthorization, verifyHtpasswdHash } from './nginx-access.js';

const cidrs = (value: string): readonly NginxCidr[] => {
  const parsed = parseGoCidrList(value);
  if (!parsed.ok) throw new Error(`bad test value ${value}`);
  return parsed.cidrs;
};

const basicAuth = (realm = 'test auth'): NginxBasicAuth => ({ type: 'basic', realm, secret: { namespace: null, name: 'test' }, secretType: 'auth-file' });
const authorization = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
const client = (address: string | null, auth?: string) => ({ address, authorization: auth });

// test/e2e/annotations/auth.go buildSecret: a bcrypt hash (cost 14 there; 4 here, to keep the suite fast).
const fooBar = bcrypt.hashSync('bar', 4);
const users = (() => {
  const parsed = parseHtpasswdSecret({ data: { auth: Buffer.from(`foo:${fooBar}\n`).toString('base64') } }, 'auth-file');
  if (!('users' in parsed)) throw new Error(parsed.error);
  return parsed.users;
})();

const hex = (h: string): Buffer => Buffer.from(h, 'hex');

describe('denylist and allowlist (nginx.tmpl deny…/allow…/deny all; ngx_http_access_module.c)', () => {
  const denyOnly: NginxAccess = { ...noNginxAccess, denylist: cidrs('18.0.0.0/8, 56.0.0.1') };

  it('denies a client in a denied range with 403 (test/e2e/annotations/ipdenylist.go "only deny explicitly denied IPs, allow all others")', () => {
    expect(checkAccess(denyOnly, client('18.0.0.1'), null)).toMatchObject({ kind: 'deny', status: 403 });
    expect(checkAccess(denyOnly, client('56.0.0.1'), null)).toMatchObject({ kind: 'deny', status: 403 });
    expect(checkAccess(denyOnly, client('56.0.0.2'), null)).toMatchObject({ kind: 'allow' });
  });

  it('checks the denylist before the allowlist, then denies all others (test/e2e/annotations/ipdenylist.go "only allow explicitly allowed IPs, deny all others")', () => {
    const both: NginxAccess = { ...noNginxAccess, denylist: cidrs('18.1.0.0/16, 56.0.0.0/8'), allowlist: cidrs('18.0.0.0/8, 55.0.0.0/8') };
    expect(checkAccess(both, client('18.1.0.1'), null)).toMatchObject({ kind: 'deny', status: 403, why: expect.stringMatching(/deny 18\.1\.0\.0\/16/) });
    expect(checkAccess(both, client('10.10.10.10'), null)).toMatchObject({ kind: 'deny', status: 403, why: expect.stringMatching(/deny all/) });
    expect(checkAccess(both, client('18.4.0.1'), null)).toMatchObject({ kind: 'allow' });
    expect(checkAccess(both, client('55.55.55.55'), null)).toMatchObject({ kind: 'allow' });
  });

  it('lets only allowlisted clients in (test/e2e/annotations/ipallowlist.go "should set valid ip allowlist range")', () => {
    const allow: NginxAccess = { ...noNginxAccess, allowlist: cidrs('18.0.0.0/8, 56.0.0.0/8') };
    expect(checkAccess(allow, client('56.1.2.3'), null)).toMatchObject({ kind: 'allow' });
    expect(checkAccess(allow, client('57.1.2.3'), null)).toMatchObject({ kind: 'deny', status: 403 });
  });

  it('sees an IPv4-mapped client as IPv4, as on an IPv4 listener (ngx_http_access_handler IN6_IS_ADDR_V4MAPPED)', () => {
    expect(checkAccess(denyOnly, client('::ffff:18.0.0.1'), null)).toMatchObject({ kind: 'deny', status: 403 });
    expect(checkAccess({ ...noNginxAccess, allowlist: cidrs('127.0.0.1') }, client('::ffff:127.0.0.1'), null)).toMatchObject({ kind: 'allow' });
  });

  it('checks an IPv6 client only against IPv6 rules and `deny all` (ngx_http_access_module.c rules6)', () => {
    expect(checkAccess(denyOnly, client('2001:db8::1'), null)).toMatchObject({ kind: 'allow' });
    expect(checkAccess({ ...noNginxAccess, allowlist: cidrs('10.0.0.0/8') }, client('2001:db8::1'), null)).toMatchObject({ kind: 'deny', status: 403 });
    expect(checkAccess({ ...noNginxAccess, allowlist: cidrs('2001:db8::/32') }, client('2001:db8::1'), null)).toMatchObject({ kind: 'allow' });
    expect(checkAccess({ ...noNginxAccess, allowlist: cidrs('2001:db8::/32') }, client('2001:db9::1'), null)).toMatchObject({ kind: 'deny', status: 403 });
  });

  it('denies an unknown client address when there is an allowlist (`deny all` matches every address)', () => {
    expect(checkAccess({ ...noNginxAccess, allowlist: cidrs('10.0.0.0/8') }, client(null), null)).toMatchObject({ kind: 'deny', status: 403 });
    expect(checkAccess(denyOnly, client(null), null)).toMatchObject({ kind: 'allow' });
  });
});

describe('basic auth (nginx.tmpl auth_basic; ngx_http_auth_basic_module.c)', () => {
  const secured: NginxAccess = { ...noNginxAccess, auth: basicAuth() };

  it('passes without any access annotation (test/e2e/annotations/auth.go "should return status code 200 when no authentication is configured")', () => {
    expect(checkAccess(noNginxAccess, client('10.0.0.1'), null)).toMatchObject({ kind: 'allow' });
  });

  it('asks for credentials with 401 and the realm (test/e2e/annotations/auth.go "should return status code 401 when authentication is configured but Authorization header is not configured")', () => {
    expect(checkAccess(secured, client('10.0.0.1'), users)).toEqual({ kind: 'auth', status: 401, realm: 'test auth', why: 'no user/password was provided for basic authentication' });
  });

  it('refuses an unknown user with 401 (test/e2e/annotations/auth.go "...Authorization header is sent with invalid credentials")', () => {
    expect(checkAccess(secured, client('10.0.0.1', authorization('user', 'pass')), users)).toMatchObject({ kind: 'auth', status: 401, why: expect.stringMatching(/not found/) });
  });

  it('refuses a wrong password with 401 (ngx_http_auth_basic_crypt_handler "password mismatch")', () => {
    expect(checkAccess(secured, client('10.0.0.1', authorization('foo', 'baz')), users)).toMatchObject({ kind: 'auth', status: 401, why: expect.stringMatching(/mismatch/) });
  });

  it('lets the right user and password in (test/e2e/annotations/auth.go "should return status code 200 when authentication is configured and Authorization header is sent")', () => {
    expect(checkAccess(secured, client('10.0.0.1', authorization('foo', 'bar')), users)).toMatchObject({ kind: 'allow', user: 'foo' });
  });

  it('lets a user of an auth-map in (test/e2e/annotations/auth.go "should return status code 200 when authentication is configured with a map and Authorization header is sent")', () => {
    const map = parseHtpasswdSecret({ data: { foo: Buffer.from(bcrypt.hashSync('bar', 4)).toString('base64') } }, 'auth-map');
    if (!('users' in map)) throw new Error(map.error);
    expect(checkAccess({ ...secured, auth: { ...basicAuth(), secretType: 'auth-map' } }, client('10.0.0.1', authorization('foo', 'bar')), map.users)).toMatchObject({ kind: 'allow', user: 'foo' });
  });

  it('refuses a user whose hash is empty (test/e2e/annotations/auth.go "...configured with invalid content and Authorization header is sent")', () => {
    const invalid = parseHtpasswdSecret({ data: { auth: Buffer.from('foo:').toString('base64') } }, 'auth-file');
    if (!('users' in invalid)) throw new Error(invalid.error);
    expect(checkAccess(secured, client('10.0.0.1', authorization('foo', 'bar')), invalid.users)).toMatchObject({ kind: 'auth', status: 401 });
  });

  it('sends an empty realm when auth-realm is not set, and a realm of "off" turns auth_basic off (ngx_http_auth_basic_handler)', () => {
    expect(checkAccess({ ...noNginxAccess, auth: basicAuth('') }, client('10.0.0.1'), users)).toMatchObject({ kind: 'auth', realm: '' });
    expect(checkAccess({ ...noNginxAccess, auth: basicAuth('off') }, client('10.0.0.1'), users)).toMatchObject({ kind: 'allow' });
  });

  it('refuses every request for auth-type digest, which ingress-dev does not emulate (nginx.tmpl auth_digest)', () => {
    expect(checkAccess({ ...noNginxAccess, auth: { ...basicAuth(), type: 'digest' } }, client('10.0.0.1', authorization('foo', 'bar')), users)).toMatchObject({ kind: 'auth', status: 401 });
  });
});

describe('the Authorization header (ngx_http_auth_basic_user, ngx_decode_base64)', () => {
  it('takes "Basic" in any case, extra spaces, no padding, and a password with colons', () => {
    expect(parseBasicAuthorization(`bAsIc   ${Buffer.from('foo:a:b').toString('base64').replace(/=+$/, '')}`)).toEqual({ user: 'foo', password: Buffer.from('a:b') });
  });

  it('finds no credentials in a bad header: another scheme, bad base64, no colon, an empty user', () => {
    expect(parseBasicAuthorization('Bearer abc')).toBeNull();
    expect(parseBasicAuthorization('Basic !!!!')).toBeNull();
    expect(parseBasicAuthorization(`Basic ${Buffer.from('foobar').toString('base64')}`)).toBeNull();
    expect(parseBasicAuthorization(`Basic ${Buffer.from(':bar').toString('base64')}`)).toBeNull();
    expect(parseBasicAuthorization('Basic ')).toBeNull();
  });
});

describe('satisfy (ngx_http_core_access_phase, ngx_http_core_post_access_phase)', () => {
  const both = (satisfy: NginxAccess['satisfy']): NginxAccess => ({ ...noNginxAccess, allowlist: cidrs('10.0.0.0/8'), auth: basicAuth(), satisfy });

  it('with all (the default), checks the address first: 403 before asking for a password', () => {
    expect(checkAccess(both(''), client('192.168.0.1'), users)).toMatchObject({ kind: 'deny', status: 403 });
    expect(checkAccess(both('all'), client('10.0.0.1'), users)).toMatchObject({ kind: 'auth', status: 401 });
    expect(checkAccess(both('all'), client('10.0.0.1', authorization('foo', 'bar')), users)).toMatchObject({ kind: 'allow', user: 'foo' });
  });

  it('with any, the address alone is enough (test/e2e/annotations/satisfy.go "should configure satisfy directive correctly")', () => {
    expect(checkAccess(both('any'), client('10.0.0.1'), users)).toMatchObject({ kind: 'allow' });
  });

  it('with any, the password alone is enough (test/e2e/annotations/satisfy.go "should allow multiple auth with satisfy any")', () => {
    expect(checkAccess(both('any'), client('192.168.0.1', authorization('foo', 'bar')), users)).toMatchObject({ kind: 'allow', user: 'foo' });
  });

  it('with any, when both fail, 401 wins over 403 (r->access_code keeps NGX_HTTP_UNAUTHORIZED)', () => {
    expect(checkAccess(both('any'), client('192.168.0.1'), users)).toMatchObject({ kind: 'auth', status: 401, realm: 'test auth' });
  });

  it('with any, a denylist that does not match only declines, so the password is still needed (ngx_http_access_inet returns NGX_DECLINED)', () => {
    const access: NginxAccess = { ...noNginxAccess, denylist: cidrs('18.0.0.0/8'), auth: basicAuth(), satisfy: 'any' };
    expect(checkAccess(access, client('10.0.0.1'), users)).toMatchObject({ kind: 'auth', status: 401 });
    expect(checkAccess(access, client('18.0.0.1', authorization('foo', 'bar')), users)).toMatchObject({ kind: 'allow', user: 'foo' });
  });

  it('with any and no auth, a denied address is still 403 and others pass', () => {
    const access: NginxAccess = { ...noNginxAccess, denylist: cidrs('18.0.0.0/8'), satisfy: 'any' };
    expect(checkAccess(access, client('18.0.0.1'), null)).toMatchObject({ kind: 'deny', status: 403 });
    expect(checkAccess(access, client('10.0.0.1'), null)).toMatchObject({ kind: 'allow' });
  });
});

describe('password hashes (ngx_crypt.c; libc crypt() for the rest)', () => {
  const pw = (s: string): Buffer => Buffer.from(s, 'utf8');

  it('verifies the apr1 hash of the docs example (docs/examples/auth/basic/README.md: foo / bar)', () => {
    expect(verifyHtpasswdHash(pw('bar'), '$apr1$OFG3Xybp$ckL0FHDAkoXYIlH9.cysT0')).toEqual({ ok: true });
    expect(verifyHtpasswdHash(pw('baz'), '$apr1$OFG3Xybp$ckL0FHDAkoXYIlH9.cysT0')).toEqual({ ok: false });
  });

  it('verifies apr1 and $1$ MD5-crypt hashes made by apache-md5', () => {
    expect(verifyHtpasswdHash(pw('s3cret'), aprMd5('s3cret')).ok).toBe(true);
    expect(verifyHtpasswdHash(pw('s3cret'), aprMd5('s3cret', '$1$abcdefgh$')).ok).toBe(true);
    expect(verifyHtpasswdHash(pw('other'), aprMd5('s3cret')).ok).toBe(false);
  });

  it('verifies bcrypt $2a$, $2b$ and $2y$ hashes made by bcryptjs', () => {
    const hash = bcrypt.hashSync('s3cret', 4);
    for (const variant of ['$2a$', '$2b$', '$2y$']) expect(verifyHtpasswdHash(pw('s3cret'), variant + hash.slice(4)).ok).toBe(true);
    expect(verifyHtpasswdHash(pw('other'), hash).ok).toBe(false);
  });

  it('verifies crypt(3) DES hashes made by apache-crypt, and one made by glibc crypt("bar", "ab") via perl', () => {
    expect(verifyHtpasswdHash(pw('s3cret'), apacheCrypt('s3cret')).ok).toBe(true);
    expect(verifyHtpasswdHash(pw('bar'), 'ab9VHpu2/1Qrs').ok).toBe(true);
    expect(verifyHtpasswdHash(pw('baz'), 'ab9VHpu2/1Qrs').ok).toBe(false);
  });

  it('verifies {SHA} and {SSHA} with the FIPS 180 SHA-1 test vectors', () => {
    expect(verifyHtpasswdHash(pw('abc'), `{SHA}${hex('a9993e364706816aba3e25717850c26c9cd0d89d').toString('base64')}`).ok).toBe(true);
    const twoBlocks = 'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq';
    expect(verifyHtpasswdHash(pw(twoBlocks), `{SHA}${hex('84983e441c3bd26ebaae4aa1f95129e5e54670f1').toString('base64')}`).ok).toBe(true);
    // {SSHA} is base64(SHA1(password + salt) + salt): password "a", salt "bc".
    const ssha = `{SSHA}${Buffer.concat([hex('a9993e364706816aba3e25717850c26c9cd0d89d'), Buffer.from('bc')]).toString('base64')}`;
    expect(verifyHtpasswdHash(pw('a'), ssha).ok).toBe(true);
    expect(verifyHtpasswdHash(pw('b'), ssha).ok).toBe(false);
  });

  it('verifies {PLAIN}, and a plain password without the prefix does not match (it goes to crypt())', () => {
    expect(verifyHtpasswdHash(pw('bar'), '{PLAIN}bar').ok).toBe(true);
    expect(verifyHtpasswdHash(pw('bar'), 'bar').ok).toBe(false);
  });

  it('says which schemes it does not emulate ($5$, $6$)', () => {
    expect(verifyHtpasswdHash(pw('bar'), '$6$salt$abc')).toMatchObject({ ok: false, unsupported: expect.stringMatching(/not emulated/) });
  });
});
