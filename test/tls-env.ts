import os from 'node:os';
import path from 'node:path';

/**
 * Where `up` keeps its local CA in tests: a folder of the test machine's temporary space, never
 * the user's data folder, and no mkcert CA (CAROOT names a folder that does not exist). Shared by
 * every test process, so the CA is made once (its creation is atomic: see src/tls/ca.ts).
 */
export const testTlsEnv: Readonly<Record<string, string>> = {
  INGRESS_DEV_HOME: path.join(os.tmpdir(), `ingress-dev-test-home-${os.userInfo().uid}`),
  CAROOT: path.join(os.tmpdir(), 'ingress-dev-test-no-mkcert'),
};
