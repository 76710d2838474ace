import { isScalar } from 'yaml';
import type { SourcePosition } from '../diagnostics/diagnostic.js';
import { isIanaServiceName, isValidName } from './names.js';
import { suggestWord } from './suggest.js';
import type { Service, ServicePort, ServiceType } from './types.js';
import {
  checkFields,
  isPresent,
  itemField,
  joinPath,
  mapView,
  readList,
  readObject,
  readString,
  readStringMap,
  report,
  reportType,
  scalarText,
  type Field,
  type ListItem,
  type Scope,
} from './yaml-node.js';

/** A v1 Service, checked as the API server checks it (core/validation ValidateService). */

export type ServiceSpec = Pick<Service, 'type' | 'selector' | 'ports' | 'externalName'>;

const serviceTypes: readonly ServiceType[] = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
const protocols = ['TCP', 'UDP', 'SCTP'] as const;

const specFields = [
  'type',
  'selector',
  'ports',
  'externalName',
  'clusterIP',
  'clusterIPs',
  'externalIPs',
  'externalTrafficPolicy',
  'internalTrafficPolicy',
  'healthCheckNodePort',
  'ipFamilies',
  'ipFamilyPolicy',
  'loadBalancerIP',
  'loadBalancerClass',
  'loadBalancerSourceRanges',
  'allocateLoadBalancerNodePorts',
  'publishNotReadyAddresses',
  'sessionAffinity',
  'sessionAffinityConfig',
  'trafficDistribution',
] as const;

const portFields = ['name', 'protocol', 'appProtocol', 'port', 'targetPort', 'nodePort'] as const;

/** "invalid" after a diagnostic; null when not written. */
type Read<T> = T | null | 'invalid';

function isPortNumber(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= 65535;
}

function readPortNumber(scope: Scope, field: Field | undefined, path: string): Read<number> {
  if (!isPresent(field)) return null;
  const value = field.value;
  if (isScalar(value) && typeof value.value === 'number' && isPortNumber(value.value)) return value.value;
  const text = isScalar(value) ? scalarText(value) : null;
  // "Remove the quotes" only where the number then passes (a hint never proposes what check refuses).
  const quoted = isScalar(value) && typeof value.value === 'string' && /^\d+$/.test(value.value.trim()) && isPortNumber(Number(value.value.trim()));
  report(
    scope,
    'E_SERVICE_PORT_INVALID',
    `${path} ${text === null ? 'is not a number' : `${text} is not a port number (1-65535)`}; the port is ignored`,
    field.at,
    quoted ? `Remove the quotes: ${field.key}: ${text}` : `Write a number from 1 to 65535, e.g. ${field.key}: 8080`,
  );
  return 'invalid';
}

/** targetPort is a number or the name of a container port (an IANA service name). */
function readTargetPort(scope: Scope, field: Field | undefined, path: string): Read<number | string> {
  if (!isPresent(field)) return null;
  const value = field.value;
  if (!isScalar(value) || typeof value.value !== 'string') return readPortNumber(scope, field, path);
  const name = value.value;
  if (isIanaServiceName(name)) return name;
  const numeric = /^\d+$/.test(name.trim()) && isPortNumber(Number(name.trim()));
  report(
    scope,
    'E_SERVICE_PORT_INVALID',
    `${path} "${name}" is neither a port number nor a valid container port name; the port is ignored`,
    field.at,
    numeric
      ? `A quoted number is read as a port name: remove the quotes, targetPort: ${name.trim()}`
      : 'A port name has at most 15 lowercase letters, digits and "-", with at least one letter, e.g. targetPort: http',
  );
  return 'invalid';
}

function readProtocol(scope: Scope, field: Field | undefined, path: string): Read<ServicePort['protocol']> {
  const text = readString(scope, field, path);
  if (text === null) return isPresent(field) ? 'invalid' : null;
  const valid = protocols.find((p) => p === text.value);
  if (valid !== undefined) return valid;
  const suggestion = suggestWord(text.value, protocols);
  report(scope, 'E_SERVICE_PORT_INVALID', `${path} "${text.value}" is not TCP, UDP or SCTP; the port is ignored`, text.at, `${suggestion !== null ? `Did you mean ${suggestion}? ` : ''}Protocols are upper case: protocol: TCP (the default)`);
  return 'invalid';
}

function readPortName(scope: Scope, field: Field | undefined, path: string): Read<string> {
  const text = readString(scope, field, path);
  if (text === null) return isPresent(field) ? 'invalid' : null;
  if (text.value === '') return null;
  if (isValidName(text.value, 'dns1123-label')) return text.value;
  report(scope, 'E_SERVICE_PORT_INVALID', `${path} "${text.value}" is not a valid port name; the port is ignored`, text.at, 'A port name has at most 63 lowercase letters, digits and "-", e.g. name: http');
  return 'invalid';
}

function parsePort(scope: Scope, item: ListItem, path: string): ServicePort | null {
  const view = mapView(scope, item.value, path);
  if (view === null) {
    if (item.value !== null) reportType(scope, itemField(item, 'ports'), path, 'mapping', item.value);
    return null;
  }
  checkFields(scope, view, portFields, path);
  const name = readPortName(scope, view.fields.get('name'), joinPath(path, 'name'));
  const port = readPortNumber(scope, view.fields.get('port'), joinPath(path, 'port'));
  if (port === null) {
    report(scope, 'E_MISSING_FIELD', `${joinPath(path, 'port')} is missing; the port is ignored`, view.at, 'Add the port the Service listens on, e.g. port: 80');
  }
  const targetPort = readTargetPort(scope, view.fields.get('targetPort'), joinPath(path, 'targetPort'));
  const protocol = readProtocol(scope, view.fields.get('protocol'), joinPath(path, 'protocol'));
  const nodePort = readPortNumber(scope, view.fields.get('nodePort'), joinPath(path, 'nodePort'));
  if (port === null || port === 'invalid' || name === 'invalid' || targetPort === 'invalid' || protocol === 'invalid' || nodePort === 'invalid') {
    return null;
  }
  return { name, port, targetPort: targetPort ?? port, protocol: protocol ?? 'TCP', nodePort, at: view.at };
}

/** The API server's checks across ports: names are required when there are several, and unique. */
function checkPorts(scope: Scope, ports: readonly ServicePort[], written: number): ServicePort[] {
  const kept: ServicePort[] = [];
  const names = new Map<string, SourcePosition>();
  const numbers = new Map<string, SourcePosition>();
  for (const port of ports) {
    if (written > 1 && port.name === null) {
      // Kept: which port a backend means is still clear when it names the port by number.
      report(scope, 'E_SERVICE_PORT_INVALID', `spec.ports: port ${port.port} has no name, which a Service with several ports requires`, port.at, `Name every port, e.g. name: ${port.port === 443 ? 'https' : port.port === 80 ? 'http' : `port-${port.port}`}`);
    }
    const firstName = port.name === null ? undefined : names.get(port.name);
    const key = `${port.port}/${port.protocol}`;
    const firstNumber = numbers.get(key);
    if (firstName !== undefined || firstNumber !== undefined) {
      const what = firstName !== undefined ? `name "${port.name}"` : `port ${port.port}/${port.protocol}`;
      const first = firstName ?? firstNumber;
      report(scope, 'E_SERVICE_PORT_INVALID', `spec.ports: ${what} is defined twice (first at line ${first?.line}); the second is ignored`, port.at, 'Give each port its own name and number, or delete the duplicate');
      continue;
    }
    if (port.name !== null) names.set(port.name, port.at);
    numbers.set(key, port.at);
    kept.push(port);
  }
  return kept;
}

function readType(scope: Scope, field: Field | undefined): ServiceType {
  const text = readString(scope, field, 'spec.type');
  if (text === null || text.value === '') return 'ClusterIP';
  const valid = serviceTypes.find((t) => t === text.value);
  if (valid !== undefined) return valid;
  const suggestion = suggestWord(text.value, serviceTypes);
  report(
    scope,
    'E_SERVICE_TYPE_INVALID',
    `spec.type "${text.value}" is not a Service type; it is treated as ClusterIP`,
    text.at,
    `${suggestion !== null ? `Did you mean ${suggestion}? ` : ''}Service types: ${serviceTypes.join(', ')}`,
  );
  return 'ClusterIP';
}

export function parseServiceSpec(scope: Scope, specField: Field | undefined, kindAt: SourcePosition): ServiceSpec {
  const spec = readObject(scope, specField, 'spec');
  if (spec !== null) checkFields(scope, spec, specFields, 'spec');
  const fields = spec?.fields ?? new Map<string, Field>();
  const type = readType(scope, fields.get('type'));
  const selector = new Map<string, string>();
  for (const [key, value] of readStringMap(scope, fields.get('selector'), 'spec.selector')) selector.set(key, value.value);
  const externalName = readString(scope, fields.get('externalName'), 'spec.externalName');
  if (type === 'ExternalName' && (externalName === null || externalName.value === '') && !isPresent(fields.get('externalName'))) {
    report(scope, 'E_MISSING_FIELD', 'spec.externalName is missing, which type ExternalName requires', fields.get('type')?.at ?? kindAt, 'Add the DNS name the Service stands for, e.g. externalName: api.example.com');
  }
  const portsField = fields.get('ports');
  const items = readList(scope, portsField, 'spec.ports');
  const parsed: ServicePort[] = [];
  for (const item of items) {
    const port = parsePort(scope, item, `spec.ports[${item.index}]`);
    if (port !== null) parsed.push(port);
  }
  const headless = readString(scope, fields.get('clusterIP'), 'spec.clusterIP')?.value === 'None';
  if (type !== 'ExternalName' && !headless && !isPresent(portsField)) {
    report(scope, 'E_MISSING_FIELD', 'spec.ports is missing; the Service has no port to route to', spec?.at ?? kindAt, 'Add the ports, e.g. ports: [{port: 80, targetPort: 8080}]');
  }
  return {
    type,
    selector,
    ports: checkPorts(scope, parsed, items.filter((i) => i.value !== null).length),
    externalName: externalName !== null && externalName.value !== '' ? externalName.value : null,
    ...(headless ? { headless: true } : {}),
  };
}
