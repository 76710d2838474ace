import type { NginxAnnotation } from './annotation.js';

/** Reads as registry.ts does: an empty value is not set, a refused value is ignored. */
export function reader(values: Record<string, string>): <T>(a: NginxAnnotation<T>) => T | null {
  return <T>(a: NginxAnnotation<T>): T | null => {
    const value = values[a.name];
    if (value === undefined || value === '') return null;
    const parsed = a.parse(value);
    return parsed.ok ? parsed.value : null;
  };
}
