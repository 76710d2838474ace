import { readFileSync } from 'node:fs';

/** The version in package.json (dist/cli/version.js → ../../package.json, as from src/cli/). */
export function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
