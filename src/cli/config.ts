import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { createDiagnostic } from '../diagnostics/diagnostic.js';
import { configFileNames, parseConfig, type ProjectConfig } from '../manifest/config.js';
import type { Mapping } from '../backends/resolver.js';
import { parseMapFlag, parseServiceSelector, parseTarget } from '../backends/target.js';
import { UsageError } from './args.js';

export interface LoadedConfig {
  readonly config: ProjectConfig | null;
  /** Relative to the project folder, as every diagnostic's file (`../dev.yaml` for a --config outside it). */
  readonly file: string | null;
  readonly text: string | null;
  readonly diagnostics: Diagnostic[];
}

/** Read `--config F`, else `ingress-dev.yaml` / `.yml` in the project folder when there is one. */
export async function loadConfig(dir: string, cwd: string, explicit: string | undefined): Promise<LoadedConfig> {
  const candidates = explicit !== undefined ? [path.resolve(cwd, explicit)] : configFileNames.map((n) => path.join(dir, n));
  for (const file of candidates) {
    const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' && explicit === undefined) return null;
      throw new UsageError(e.code === 'ENOENT' ? `config file not found: ${explicit ?? file}` : `cannot read ${path.relative(cwd, file) || file}: ${e.message}`);
    });
    if (text === null) continue;
    const shown = path.relative(dir, file).split(path.sep).join('/');
    const parsed = parseConfig(text, shown);
    return { config: parsed.config, file: shown, text, diagnostics: parsed.diagnostics };
  }
  return { config: null, file: null, text: null, diagnostics: [] };
}

/**
 * Mappings from `--map` flags (first) and the config file, checked; flags override the file.
 * `where` turns the config file's path into the one shown in messages (`via`).
 */
export function buildMappings(flags: readonly string[], config: ProjectConfig | null, where: (file: string) => string = (file) => file): { mappings: Mapping[]; diagnostics: Diagnostic[] } {
  const mappings: Mapping[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const flag of flags) {
    const parsed = parseMapFlag(flag);
    if (!parsed.ok) throw new UsageError(parsed.error);
    mappings.push({ selector: parsed.selector, target: parsed.target, via: `--map ${flag}` });
  }
  for (const m of config?.mappings ?? []) {
    const selector = parseServiceSelector(m.selector);
    const target = parseTarget(m.target);
    if (selector === null) {
      diagnostics.push(createDiagnostic('E_MAPPING', 'error', `"${m.selector}" is not a Service name`, m.at, 'Keys under services: are Service names, optionally NAMESPACE/NAME.'));
    } else if (!target.ok) {
      diagnostics.push(createDiagnostic('E_MAPPING', 'error', target.error, m.at, 'A target is 3000, host:port, http://host:port, https://host:port or echo.'));
    } else {
      mappings.push({ selector, target: target.target, via: `${where(m.at.file)}:${m.at.line}` });
    }
  }
  return { mappings, diagnostics };
}
