import { setFlagsFromString } from 'node:v8';

/**
 * Keeps V8's young generation at its initial size (semi-spaces of 1 MB) instead of letting it grow
 * to 16 MB semi-spaces under load: a proxy allocates fast but keeps almost nothing, so scavenges
 * stay cheap, and the process stays well under 100 MB RSS (ingress-dev up measured 105-120 MB
 * without it). `--max-semi-space-size` only works on the command line, which a bin script cannot
 * set without re-executing node; the growth factor is read each time the young generation would
 * grow, so setting it at runtime works (V8 clamps it to 2 only when given on the command line).
 * Process-wide: called by the CLI entry, never by the library.
 */
export function boundYoungGeneration(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}
