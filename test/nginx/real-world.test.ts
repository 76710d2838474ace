/**
 * `check` on real-world ingress-nginx manifests: test/fixtures/nginx-real-world holds the example
 * manifests ingress-nginx shipped to its users (docs/examples of kubernetes/ingress-nginx
 * controller-v1.15, unchanged but for two renamed duplicates), placeholders and all. check says,
 * Ingress by Ingress and in a summary, which annotations ingress-dev emulates and which it does
 * not, and what the cluster does with each of those.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, fixtures } from '../cli-harness.js';

const dir = path.join(fixtures, 'nginx-real-world');

interface CheckJson {
  readonly diagnostics: readonly { readonly code: string; readonly file: string; readonly line: number; readonly col: number; readonly message: string }[];
  readonly nginxAnnotations: { readonly ingresses: number; readonly emulated: Record<string, number>; readonly notEmulated: Record<string, number>; readonly refused: Record<string, number>; readonly unknown: Record<string, number> } | null;
}

describe('check on real-world ingress-nginx manifests (ingress-nginx docs/examples)', () => {
  it('sums up which annotations are emulated and which are not', async () => {
    const r = await cli(['check', dir, '--json']);
    expect(r.code).toBe(1);
    const json = JSON.parse(r.stdout) as CheckJson;
    expect(json.nginxAnnotations).toEqual({
      ingresses: 10,
      emulated: { affinity: 3, 'proxy-body-size': 1, 'session-cookie-conditional-samesite-none': 1, 'session-cookie-expires': 3, 'session-cookie-max-age': 3, 'session-cookie-name': 3, 'session-cookie-samesite': 2, 'session-cookie-secure': 1 },
      notEmulated: { 'auth-signin': 1, 'auth-tls-error-page': 1, 'auth-tls-pass-certificate-to-upstream': 1, 'auth-tls-secret': 1, 'auth-tls-verify-client': 1, 'auth-tls-verify-depth': 1, 'auth-url': 2, 'proxy-read-timeout': 1, 'proxy-send-timeout': 1 },
      refused: { 'configuration-snippet': 1 },
      unknown: {},
    });
  });

  it('points at every annotation it does not emulate, says what the cluster does, and refuses the snippet as ingress-nginx does', async () => {
    const json = JSON.parse((await cli(['check', dir, '--json'])).stdout) as CheckJson;
    const at = (code: string) => json.diagnostics.filter((d) => d.code === code).map((d) => `${d.file}:${d.line}:${d.col}`);
    expect(at('W_ANNOTATION_NOT_EMULATED')).toEqual([
      'client-certs.yaml:7:57', 'client-certs.yaml:9:50', 'client-certs.yaml:11:56', 'client-certs.yaml:13:54', 'client-certs.yaml:15:72',
      'docker-registry.yaml:7:53', 'docker-registry.yaml:8:53', 'external-auth.yaml:6:43', 'oauth2-proxy.yaml:94:43', 'oauth2-proxy.yaml:95:46',
    ]);
    expect(json.diagnostics.find((d) => d.code === 'W_ANNOTATION_NOT_EMULATED' && d.file === 'external-auth.yaml')?.message).toContain('authenticates every request with a request to this external URL');
    expect(at('E_ANNOTATION_RISK')).toEqual(['configuration-snippet.yaml:7:56']);
    // The examples' placeholders are hosts no cluster accepts; the TLS entries naming them are not reported twice.
    expect(at('E_HOST_INVALID')).toEqual(['docker-registry.yaml:19:11', 'oauth2-proxy.yaml:73:11', 'oauth2-proxy.yaml:101:11']);
    expect(at('W_TLS_HOST_UNUSED')).toEqual([]);
  });

  it('prints the summary after the diagnostics', async () => {
    const r = await cli(['check', dir, '-q']);
    expect(r.stdout).toContain('ingress-nginx annotations on the 10 Ingresses of the nginx profile (× how many carry one):');
    expect(r.stdout).toMatch(/\n {2}emulated {6}affinity ×3, proxy-body-size, session-cookie-conditional-samesite-none, /);
    expect(r.stdout).toMatch(/\n {2}not emulated {2}auth-signin, auth-tls-error-page, .* auth-url ×2, proxy-read-timeout, proxy-send-timeout {2}\(W_ANNOTATION_NOT_EMULATED above/);
    expect(r.stdout).toMatch(/\n {2}refused {7}configuration-snippet {2}\(the Ingress is not served: E_ANNOTATION_RISK\)/);
  });

  it('prints no summary for a folder without Ingresses of the nginx profile', async () => {
    const r = await cli(['check', path.join(fixtures, 'nginx-real-world'), '--profile', 'spec', '--json']);
    expect((JSON.parse(r.stdout) as CheckJson).nginxAnnotations).toBeNull();
  });
});
