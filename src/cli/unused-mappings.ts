import type { Mapping } from '../backends/resolver.js';
import type { Service, ServicePort } from '../manifest/types.js';
import { suggestWord } from '../manifest/suggest.js';

/**
 * Why a mapping (a `--map` flag or a `services:` entry of the config file) maps nothing: no
 * Service of that name (in that namespace), or no port of that number or name on it. One line
 * per such mapping, with the closest name when there is one; null for a mapping that is used.
 */
export function formatUnusedMapping(mapping: Mapping, services: readonly Service[]): string | null {
  const { namespace, service: name, port } = mapping.selector;
  const named = services.filter((s) => s.metadata.name === name);
  const selected = named.filter((s) => namespace === null || s.metadata.namespace === namespace);
  if (selected.length === 0 && named.length > 0) {
    const elsewhere = [...new Set(named.map((s) => s.metadata.namespace))];
    const near = `${name} is in namespace${elsewhere.length === 1 ? '' : 's'} ${elsewhere.join(', ')}`;
    return `${mapping.via}: no Service "${name}" in namespace "${namespace}" (${near}); this mapping is not used`;
  }
  if (selected.length === 0) {
    const qualified = (s: Service) => (namespace === null ? s.metadata.name : `${s.metadata.namespace}/${s.metadata.name}`);
    const written = namespace === null ? name : `${namespace}/${name}`;
    const near = suggestWord(written, [...new Set(services.map(qualified))]);
    return `${mapping.via}: no Service "${written}" in the folder${near === null ? '' : ` (did you mean "${near}"?)`}; this mapping is not used`;
  }
  if (port === null || selected.some((s) => s.ports.some((p) => String(p.port) === port || p.name === port))) return null;
  const ports = [...new Set(selected.flatMap((s) => s.ports))];
  const near = suggestWord(port, [...new Set(ports.flatMap((p) => (p.name === null ? [String(p.port)] : [p.name, String(p.port)])))]);
  const has = ports.length === 0 ? 'it has no ports' : `its ports: ${ports.map(formatPort).join(', ')}`;
  return `${mapping.via}: Service ${name} has no port "${port}" (${near === null ? '' : `did you mean "${near}"? `}${has}); this mapping is not used`;
}

function formatPort(p: ServicePort): string {
  return p.name === null ? String(p.port) : `${p.port} (${p.name})`;
}

/** The warning lines of every mapping that maps nothing, in the order they were given. */
export function formatUnusedMappings(mappings: readonly Mapping[], services: readonly Service[]): string[] {
  return mappings.flatMap((m) => {
    const line = formatUnusedMapping(m, services);
    return line === null ? [] : [`warning: ${line}`];
  });
}
