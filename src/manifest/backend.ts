import { isMap, isScalar } from 'yaml';
import type { BackendRef, Located, ResourceBackendRef, ServiceBackendRef } from './types.js';
import { isValidName } from './names.js';
import {
  checkFields,
  isPresent,
  joinPath,
  readObject,
  readString,
  report,
  reportType,
  scalarText,
  type Field,
  type MapView,
  type Scope,
} from './yaml-node.js';

/**
 * Ingress backends: `{service: {name, port: {number} | {name}}}` or `{resource: {apiGroup, kind,
 * name}}` in networking.k8s.io/v1, `{serviceName, servicePort}` in the v1beta1 APIs. Both shapes
 * come out as the v1 `BackendRef`. A backend that cannot be used returns null, after a diagnostic
 * that says why; the caller drops the path (or the defaultBackend) it belongs to.
 */

type PortRef = ServiceBackendRef['port']['value'];

const portHint = 'Write port: {number: 80} (a port of the Service) or port: {name: http} (a named Service port)';

function isPortNumber(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

function textOf(field: Field | undefined): string | null {
  return isPresent(field) && isScalar(field.value) ? scalarText(field.value) : null;
}

/** A port number written as a number; strings are reported as wrong type (the API server wants a number). */
function readPortNumber(scope: Scope, field: Field, path: string): Located<number> | null {
  const value = field.value;
  if (isScalar(value) && typeof value.value === 'number') {
    if (isPortNumber(value.value)) return { value: value.value, at: field.at };
    report(scope, 'E_BACKEND_INVALID', `${path} ${scalarText(value)} is not a port number (1-65535); the backend is ignored`, field.at, 'Use the port number of the Service, e.g. number: 80');
    return null;
  }
  if (value !== null) reportType(scope, field, path, 'integer', value);
  return null;
}

/** `port: 80` / `port: "80"` / `port: http`: accepted, with a warning, as the tutorials print it. */
function readPortShorthand(scope: Scope, field: Field, path: string): Located<PortRef> | null {
  const value = field.value;
  if (!isScalar(value)) return null;
  const raw = value.value;
  const numeric = typeof raw === 'string' && /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
  if (typeof numeric === 'number') {
    if (!isPortNumber(numeric)) {
      report(scope, 'E_BACKEND_INVALID', `${path} ${scalarText(value)} is not a port number (1-65535); the backend is ignored`, field.at, portHint);
      return null;
    }
    report(scope, 'W_PORT_SHORTHAND', `${path}: ${scalarText(value)} is read as port: {number: ${numeric}}`, field.at, `Write port: {number: ${numeric}}; the API server rejects the short form`);
    return { value: { number: numeric }, at: field.at };
  }
  if (typeof raw === 'string' && raw !== '') {
    // Service port names are DNS labels: no port can be named `Http`, so do not propose it.
    const hint = isValidName(raw, 'dns1123-label') ? `Write port: {name: ${raw}}; the API server rejects the short form` : `The API server rejects the short form. ${portHint}`;
    report(scope, 'W_PORT_SHORTHAND', `${path}: ${raw} is read as port: {name: ${raw}}`, field.at, hint);
    return { value: { name: raw }, at: field.at };
  }
  reportType(scope, field, path, 'mapping', value);
  return null;
}

function readPortRef(scope: Scope, owner: MapView, path: string): Located<PortRef> | null {
  const field = owner.fields.get('port');
  const portPath = joinPath(path, 'port');
  if (!isPresent(field)) {
    report(scope, 'E_MISSING_FIELD', `${portPath} is missing; the backend is ignored`, field?.at ?? owner.at, portHint);
    return null;
  }
  if (!isMap(field.value)) return readPortShorthand(scope, field, portPath);
  const view = readObject(scope, field, portPath);
  if (view === null) return null;
  checkFields(scope, view, ['number', 'name'], portPath);
  const numberField = view.fields.get('number');
  const nameField = view.fields.get('name');
  if (isPresent(numberField) && isPresent(nameField)) {
    report(scope, 'E_BACKEND_INVALID', `${portPath} sets both number and name; the backend is ignored`, view.at, 'Keep one: number: 80 or name: http');
    return null;
  }
  if (isPresent(numberField)) {
    const number = readPortNumber(scope, numberField, joinPath(portPath, 'number'));
    return number === null ? null : { value: { number: number.value }, at: number.at };
  }
  const name = readString(scope, nameField, joinPath(portPath, 'name'));
  if (name !== null && name.value !== '') return { value: { name: name.value }, at: name.at };
  if (isPresent(nameField) && name === null) return null;
  report(scope, 'E_MISSING_FIELD', `${portPath} has neither number nor name; the backend is ignored`, view.at, portHint);
  return null;
}

function readServiceRef(scope: Scope, field: Field, path: string): ServiceBackendRef | null {
  const view = readObject(scope, field, path);
  if (view === null) return null;
  checkFields(scope, view, ['name', 'port'], path);
  const name = readString(scope, view.fields.get('name'), joinPath(path, 'name'));
  if (name === null || name.value === '') {
    if (!isPresent(view.fields.get('name')) || name !== null) {
      report(scope, 'E_MISSING_FIELD', `${joinPath(path, 'name')} is missing; the backend is ignored`, view.fields.get('name')?.at ?? view.at, 'Name the Service: service: {name: web, port: {number: 80}}');
    }
    readPortRef(scope, view, path);
    return null;
  }
  const port = readPortRef(scope, view, path);
  return port === null ? null : { type: 'service', name, port };
}

function readResourceRef(scope: Scope, field: Field, path: string): ResourceBackendRef | null {
  const view = readObject(scope, field, path);
  if (view === null) return null;
  checkFields(scope, view, ['apiGroup', 'kind', 'name'], path);
  const apiGroup = readString(scope, view.fields.get('apiGroup'), joinPath(path, 'apiGroup'));
  let usable = true;
  const required: Record<'kind' | 'name', string | null> = { kind: null, name: null };
  for (const key of ['kind', 'name'] as const) {
    const entry = view.fields.get(key);
    const value = readString(scope, entry, joinPath(path, key));
    if (value !== null && value.value !== '') {
      required[key] = value.value;
      continue;
    }
    usable = false;
    if (!isPresent(entry) || value !== null) {
      report(scope, 'E_MISSING_FIELD', `${joinPath(path, key)} is missing; the backend is ignored`, entry?.at ?? view.at, 'Write resource: {apiGroup: k8s.example.com, kind: StorageBucket, name: static-assets}');
    }
  }
  if (!usable || required.kind === null || required.name === null) return null;
  return { type: 'resource', apiGroup: apiGroup?.value ?? null, kind: required.kind, name: required.name, at: view.at };
}

function exampleService(name: string | null, port: string | null): string {
  const portText = port === null ? '{number: 80}' : /^\d+$/.test(port) ? `{number: ${port}}` : `{name: ${port}}`;
  return `service: {name: ${name ?? 'web'}, port: ${portText}}`;
}

/** A networking.k8s.io/v1 backend. */
export function parseBackend(scope: Scope, field: Field, path: string): BackendRef | null {
  const view = readObject(scope, field, path);
  if (view === null) return null;
  if (view.fields.has('serviceName') || view.fields.has('servicePort')) {
    const example = exampleService(textOf(view.fields.get('serviceName')), textOf(view.fields.get('servicePort')));
    report(
      scope,
      'E_BACKEND_INVALID',
      `${path} uses serviceName/servicePort, which networking.k8s.io/v1 does not have; the backend is ignored`,
      view.at,
      `In networking.k8s.io/v1 write: ${example}`,
    );
    return null;
  }
  checkFields(scope, view, ['service', 'resource'], path);
  return chooseBackend(scope, view, path, 'service');
}

function chooseBackend(scope: Scope, view: MapView, path: string, serviceKey: 'service' | 'serviceName'): BackendRef | null {
  const service = view.fields.get(serviceKey);
  const resource = view.fields.get('resource');
  const hasService = isPresent(service) || (serviceKey === 'serviceName' && isPresent(view.fields.get('servicePort')));
  if (hasService && isPresent(resource)) {
    report(scope, 'E_BACKEND_INVALID', `${path} names both a ${serviceKey === 'service' ? 'service' : 'serviceName'} and a resource; the backend is ignored`, view.at, 'Keep one: a Service (the usual case) or a resource');
    return null;
  }
  if (isPresent(resource)) return readResourceRef(scope, resource, joinPath(path, 'resource'));
  if (isPresent(service) && serviceKey === 'service') return readServiceRef(scope, service, joinPath(path, 'service'));
  if (hasService) return readLegacyServiceRef(scope, view, path);
  const example = serviceKey === 'service' ? exampleService(null, null) : 'serviceName: web, servicePort: 80';
  report(scope, 'E_BACKEND_INVALID', `${path} names neither a service nor a resource; the backend is ignored`, view.at, `Write ${example}`);
  return null;
}

function readLegacyServiceRef(scope: Scope, view: MapView, path: string): ServiceBackendRef | null {
  const nameField = view.fields.get('serviceName');
  const name = readString(scope, nameField, joinPath(path, 'serviceName'));
  if ((name === null && !isPresent(nameField)) || name?.value === '') {
    report(scope, 'E_MISSING_FIELD', `${joinPath(path, 'serviceName')} is missing; the backend is ignored`, nameField?.at ?? view.at, 'Name the Service: serviceName: web');
  }
  const portField = view.fields.get('servicePort');
  const portPath = joinPath(path, 'servicePort');
  if (!isPresent(portField)) {
    report(scope, 'E_MISSING_FIELD', `${portPath} is missing; the backend is ignored`, portField?.at ?? view.at, 'Add servicePort: 80 (a port number or name of the Service)');
    return null;
  }
  const port = readLegacyPort(scope, portField, portPath);
  if (name === null || name.value === '' || port === null) return null;
  return { type: 'service', name, port };
}

/** v1beta1 servicePort is an int-or-string: a number, or the name of a Service port. */
function readLegacyPort(scope: Scope, field: Field & { readonly value: NonNullable<Field['value']> }, path: string): Located<PortRef> | null {
  const value = field.value;
  if (!isScalar(value) || (typeof value.value !== 'number' && typeof value.value !== 'string')) {
    reportType(scope, field, path, 'integer', value);
    return null;
  }
  if (typeof value.value === 'number') {
    if (isPortNumber(value.value)) return { value: { number: value.value }, at: field.at };
    report(scope, 'E_BACKEND_INVALID', `${path} ${scalarText(value)} is not a port number (1-65535); the backend is ignored`, field.at, 'Use the port number of the Service, e.g. servicePort: 80');
    return null;
  }
  const text = value.value.trim();
  if (/^\d+$/.test(text) && isPortNumber(Number(text))) {
    report(scope, 'W_PORT_SHORTHAND', `${path}: "${text}" is a string; it is read as the port number ${text}`, field.at, `Remove the quotes: servicePort: ${text}`);
    return { value: { number: Number(text) }, at: field.at };
  }
  if (text === '' || /^\d+$/.test(text)) {
    report(scope, 'E_BACKEND_INVALID', `${path} "${text}" is not a port number (1-65535) or name; the backend is ignored`, field.at, 'Use a port of the Service, e.g. servicePort: 80 or servicePort: http');
    return null;
  }
  return { value: { name: text }, at: field.at };
}

/** An extensions/v1beta1 or networking.k8s.io/v1beta1 backend, converted to the v1 shape. */
export function parseLegacyBackend(scope: Scope, field: Field, path: string): BackendRef | null {
  const view = readObject(scope, field, path);
  if (view === null) return null;
  if (view.fields.has('service')) {
    report(
      scope,
      'E_BACKEND_INVALID',
      `${path} uses service:, which v1beta1 Ingresses do not have; the backend is ignored`,
      view.at,
      'Either change apiVersion to networking.k8s.io/v1 (recommended), or write serviceName: web, servicePort: 80',
    );
    return null;
  }
  checkFields(scope, view, ['serviceName', 'servicePort', 'resource'], path);
  return chooseBackend(scope, view, path, 'serviceName');
}
