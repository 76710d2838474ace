import { boolAnnotation, type NginxAnnotation } from './annotation.js';

/**
 * `backend-protocol` (annotations/backendprotocol/main.go: ValidateOptions, case-insensitive;
 * template.go buildProxyPass): HTTP (default) and AUTO_HTTP proxy over plain HTTP (AUTO_HTTP
 * with the client's scheme), HTTPS over TLS without verifying the backend's certificate,
 * GRPC/GRPCS with grpc_pass, FCGI with fastcgi_pass. A value it refuses is logged and HTTP is
 * used: the Ingress is kept.
 */
export const backendProtocols = ['HTTP', 'HTTPS', 'AUTO_HTTP', 'GRPC', 'GRPCS', 'FCGI'] as const;
export type BackendProtocol = (typeof backendProtocols)[number];

export const backendProtocol: NginxAnnotation<BackendProtocol> = {
  name: 'backend-protocol',
  doc: 'how nginx talks to the backend: HTTP (default), HTTPS (TLS, certificate not verified), AUTO_HTTP (the client\'s scheme); GRPC, GRPCS and FCGI are not emulated',
  parse(value) {
    const upper = value.trim().toUpperCase();
    return (backendProtocols as readonly string[]).includes(upper)
      ? { ok: true, value: upper as BackendProtocol }
      : { ok: false, error: `"${value}" is not HTTP, HTTPS, AUTO_HTTP, GRPC, GRPCS or FCGI`, hint: 'Write HTTPS for a backend that serves TLS' };
  },
};

/**
 * `service-upstream` (annotations/serviceupstream): nginx sends to the Service's ClusterIP
 * instead of its endpoints. Locally a Service port resolves to one target (a mapped port or the
 * Service's containers) either way, so nothing changes what a request gets; a value that is not
 * a boolean means false (its parser swallows the error).
 */
export const serviceUpstream = boolAnnotation('service-upstream', 'nginx proxies to the Service\'s ClusterIP instead of its endpoints (no local effect: ingress-dev resolves the Service port either way)');

/**
 * `client-body-buffer-size` (annotations/clientbodybuffersize: parser.SizeRegex, a refused value
 * drops the Ingress): how much of a request body nginx keeps in memory before a temporary file.
 * It changes no answer, so ingress-dev checks it and does nothing else.
 */
export const clientBodyBufferSize: NginxAnnotation<string> = {
  name: 'client-body-buffer-size',
  doc: 'nginx\'s in-memory buffer for request bodies (checked; no effect on answers)',
  parse(value) {
    const compact = value.replace(/\s/g, '');
    return /^\d+[bkmg]?$/i.test(compact) ? { ok: true, value: compact } : { ok: false, error: `"${value}" is not a size`, hint: 'Write a size such as 16k or 1m' };
  },
};

/**
 * `default-backend` (annotations/defaultbackend: ValidateServiceName, a refused name drops the
 * Ingress): a Service of the Ingress's namespace (its first port) that takes the requests of a
 * location whose Service has no endpoints (controller.go: `len(upstream.Endpoints) == 0`),
 * with the URI unchanged and X-Code: 503 and the X-Namespace/-Ingress-Name/-Service-Name/
 * -Service-Port headers (nginx.tmpl). A Service that does not exist leaves the annotation out.
 */
export const defaultBackendService: NginxAnnotation<string> = {
  name: 'default-backend',
  doc: 'a Service (first port) that answers when the location\'s Service has no endpoints, with X-Code: 503',
  parse(value) {
    const name = value.trim();
    return /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/.test(name) ? { ok: true, value: name } : { ok: false, error: `"${value}" is not a Service name`, hint: 'Write the name of a Service in the Ingress\'s namespace (no namespace/ prefix)' };
  },
};
