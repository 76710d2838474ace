import { isSeq } from 'yaml';
import type { SourcePosition } from '../diagnostics/diagnostic.js';
import { parseBackend, parseLegacyBackend } from './backend.js';
import { suggestWord } from './suggest.js';
import type { BackendRef, Ingress, IngressPath, IngressRule, IngressTLS, Located, PathType } from './types.js';
import {
  checkFields,
  isPresent,
  itemField,
  joinPath,
  mapView,
  readList,
  readObject,
  readString,
  report,
  reportType,
  type Field,
  type ListItem,
  type MapView,
  type Scope,
} from './yaml-node.js';

/**
 * The spec of an Ingress, as written: hosts, paths and services are only recorded here, with their
 * positions; the model validates them, because that needs the other resources.
 */

export type IngressSpec = Pick<Ingress, 'ingressClassName' | 'defaultBackend' | 'rules' | 'tls'>;

export const ingressApiVersions = ['networking.k8s.io/v1', 'networking.k8s.io/v1beta1', 'extensions/v1beta1'] as const;

const pathTypes: readonly PathType[] = ['Exact', 'Prefix', 'ImplementationSpecific'];

interface Version {
  /** extensions/v1beta1 or networking.k8s.io/v1beta1: `backend`, `serviceName`/`servicePort`. */
  readonly legacy: boolean;
}

const specFields = {
  v1: ['ingressClassName', 'defaultBackend', 'rules', 'tls'],
  legacy: ['ingressClassName', 'backend', 'rules', 'tls'],
} as const;

const specRenames = {
  v1: { backend: 'defaultBackend (spec.backend is the v1beta1 name)' },
  legacy: { defaultBackend: 'backend (defaultBackend is the networking.k8s.io/v1 name)' },
} as const;

function readBackend(scope: Scope, field: Field, path: string, version: Version): BackendRef | null {
  return version.legacy ? parseLegacyBackend(scope, field, path) : parseBackend(scope, field, path);
}

function readPathType(scope: Scope, view: MapView, path: string): { readonly value: Located<PathType> | null; readonly written: boolean } {
  const field = view.fields.get('pathType');
  if (!isPresent(field)) return { value: null, written: false };
  const text = readString(scope, field, joinPath(path, 'pathType'));
  if (text === null) return { value: null, written: true };
  const valid = pathTypes.find((t) => t === text.value);
  if (valid !== undefined) return { value: { value: valid, at: text.at }, written: true };
  const suggestion = suggestWord(text.value, pathTypes);
  report(
    scope,
    'E_PATHTYPE_INVALID',
    `${joinPath(path, 'pathType')} "${text.value}" is not Exact, Prefix or ImplementationSpecific; the path is ignored`,
    text.at,
    `${suggestion !== null ? `Did you mean ${suggestion}? ` : ''}Valid values: Prefix (the path and everything below it, by "/" segments), Exact (this path only), ImplementationSpecific (up to the controller)`,
  );
  return { value: null, written: true };
}

function parsePath(scope: Scope, item: ListItem, path: string, version: Version): IngressPath | null {
  const view = mapView(scope, item.value, path);
  if (view === null) {
    if (item.value !== null) reportType(scope, itemField(item, 'paths'), path, 'mapping', item.value);
    return null;
  }
  checkFields(scope, view, ['path', 'pathType', 'backend'], path);
  const pathType = readPathType(scope, view, path);
  const pathField = view.fields.get('path');
  const written = readString(scope, pathField, joinPath(path, 'path'));
  let pathValue: Located<string> | null = written;
  if (!isPresent(pathField)) {
    // The API server requires a path for Exact and Prefix; for ImplementationSpecific an empty
    // path is allowed and every controller serves it as "/".
    if (pathType.value === null || pathType.value.value === 'ImplementationSpecific') {
      pathValue = { value: '/', at: view.at };
    } else {
      report(scope, 'E_MISSING_FIELD', `${joinPath(path, 'path')} is missing (pathType ${pathType.value.value} needs one); the path is ignored`, view.at, 'Add the path, e.g. path: /api');
    }
  }
  const backendField = view.fields.get('backend');
  let backend: BackendRef | null = null;
  if (isPresent(backendField)) {
    backend = readBackend(scope, backendField, joinPath(path, 'backend'), version);
  } else {
    const example = version.legacy ? '{serviceName: web, servicePort: 80}' : '{service: {name: web, port: {number: 80}}}';
    report(scope, 'E_MISSING_FIELD', `${joinPath(path, 'backend')} is missing; the path is ignored`, backendField?.at ?? view.at, `Add the Service that serves it: backend: ${example}`);
  }
  if (pathType.written && pathType.value === null) return null;
  if (pathValue === null || backend === null) return null;
  if (pathType.value !== null) {
    return { path: pathValue, pathType: pathType.value, pathTypeDefaulted: false, backend, at: view.at };
  }
  // networking.k8s.io/v1 requires pathType (the API server rejects a path without it); the intent
  // is clear enough to serve it with the v1beta1 default, ImplementationSpecific, and a warning.
  // In the v1beta1 APIs pathType is optional and defaults to exactly that; W_DEPRECATED_API already
  // asks for a conversion that adds it, so a warning per path would only be noise.
  if (!version.legacy) {
    report(
      scope,
      'W_PATHTYPE_MISSING',
      `${path} has no pathType; it is served as ImplementationSpecific`,
      view.at,
      `Add pathType: Prefix (${pathValue.value} and everything below it) or pathType: Exact (${pathValue.value} only); ImplementationSpecific means something different in each controller`,
    );
  }
  const defaulted: Located<PathType> = { value: 'ImplementationSpecific', at: view.at };
  return { path: pathValue, pathType: defaulted, pathTypeDefaulted: true, backend, at: view.at };
}

function parseRule(scope: Scope, item: ListItem, path: string, version: Version): IngressRule | null {
  const view = mapView(scope, item.value, path);
  if (view === null) {
    if (item.value !== null) reportType(scope, itemField(item, 'rules'), path, 'mapping', item.value);
    return null;
  }
  checkFields(scope, view, ['host', 'http'], path);
  const host = readString(scope, view.fields.get('host'), joinPath(path, 'host'));
  const httpPath = joinPath(path, 'http');
  const http = readObject(scope, view.fields.get('http'), httpPath);
  const paths: IngressPath[] = [];
  if (http !== null) {
    checkFields(scope, http, ['paths'], httpPath);
    const pathsField = http.fields.get('paths');
    const items = readList(scope, pathsField, joinPath(httpPath, 'paths'));
    if (!isPresent(pathsField) || (isSeq(pathsField.value) && items.length === 0)) {
      report(scope, 'E_MISSING_FIELD', `${joinPath(httpPath, 'paths')} is missing or empty`, pathsField?.at ?? http.at, 'List at least one path under http.paths, or remove http: for a rule without paths');
    }
    for (const entry of items) {
      const parsed = parsePath(scope, entry, `${joinPath(httpPath, 'paths')}[${entry.index}]`, version);
      if (parsed !== null) paths.push(parsed);
    }
  }
  // An empty host means "no host", as in the API.
  return { host: host !== null && host.value !== '' ? host : null, paths, at: view.at };
}

function parseTls(scope: Scope, item: ListItem, path: string): IngressTLS | null {
  const view = mapView(scope, item.value, path);
  if (view === null) {
    if (item.value !== null) reportType(scope, itemField(item, 'tls'), path, 'mapping', item.value);
    return null;
  }
  checkFields(scope, view, ['hosts', 'secretName'], path);
  const hosts: Located<string>[] = [];
  for (const host of readList(scope, view.fields.get('hosts'), joinPath(path, 'hosts'))) {
    const value = readString(scope, itemField(host, 'hosts'), `${joinPath(path, 'hosts')}[${host.index}]`);
    if (value !== null) hosts.push(value);
  }
  const secretName = readString(scope, view.fields.get('secretName'), joinPath(path, 'secretName'));
  return { hosts, secretName: secretName !== null && secretName.value !== '' ? secretName : null, at: view.at };
}

export function parseIngressSpec(scope: Scope, specField: Field | undefined, legacy: boolean, kindAt: SourcePosition): IngressSpec {
  const version: Version = { legacy };
  const empty: IngressSpec = { ingressClassName: null, defaultBackend: null, rules: [], tls: [] };
  const spec = readObject(scope, specField, 'spec');
  const backendKey = legacy ? 'backend' : 'defaultBackend';
  if (spec === null) {
    if (!isPresent(specField)) {
      report(scope, 'E_MISSING_FIELD', 'spec is missing; the Ingress routes nothing', specField?.at ?? kindAt, `Add spec.rules (hosts and paths) or spec.${backendKey}`);
    }
    return empty;
  }
  checkFields(scope, spec, legacy ? specFields.legacy : specFields.v1, 'spec', legacy ? specRenames.legacy : specRenames.v1);
  if (!isPresent(spec.fields.get('rules')) && !isPresent(spec.fields.get(backendKey))) {
    report(scope, 'E_MISSING_FIELD', `spec has neither rules nor ${backendKey}; the Ingress routes nothing`, spec.at, `Add spec.rules (hosts and paths) or spec.${backendKey}`);
  }
  const className = readString(scope, spec.fields.get('ingressClassName'), 'spec.ingressClassName');
  const backendField = spec.fields.get(backendKey);
  const defaultBackend = isPresent(backendField) ? readBackend(scope, backendField, `spec.${backendKey}`, version) : null;
  const rules: IngressRule[] = [];
  for (const item of readList(scope, spec.fields.get('rules'), 'spec.rules')) {
    const rule = parseRule(scope, item, `spec.rules[${item.index}]`, version);
    if (rule !== null) rules.push(rule);
  }
  const tls: IngressTLS[] = [];
  for (const item of readList(scope, spec.fields.get('tls'), 'spec.tls')) {
    const entry = parseTls(scope, item, `spec.tls[${item.index}]`);
    if (entry !== null) tls.push(entry);
  }
  return {
    ingressClassName: className !== null && className.value !== '' ? className : null,
    defaultBackend,
    rules,
    tls,
  };
}
