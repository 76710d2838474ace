/**
 * The one catalogue of diagnostic codes. `E_` codes are errors (the thing they concern is not
 * served as written), `W_` codes are warnings (served, but probably not what you meant), `I_`
 * codes are information.
 */
export const diagnosticCodes = {
  // reading files
  E_YAML_SYNTAX: 'The file is not valid YAML',
  E_FILE_READ: 'A manifest file could not be read',
  W_YAML_WARNING: 'The YAML parser reported a problem it could recover from',
  E_NOT_AN_OBJECT: 'A YAML document is not a Kubernetes object (a mapping)',
  E_YAML_LIMIT: 'A YAML document exceeds a safety limit (alias expansion or nesting depth)',
  I_FILE_SKIPPED: 'A YAML file holds no Kubernetes objects and was skipped',
  E_INTERNAL: 'ingress-dev failed on a document (a bug); the document was skipped',
  // shape of known kinds
  E_MISSING_FIELD: 'A required field is missing',
  E_FIELD_TYPE: 'A field has the wrong type',
  W_UNKNOWN_FIELD: 'A field is not part of the resource schema',
  E_INVALID_NAME: 'A metadata.name or namespace is not a valid Kubernetes name',
  E_UNKNOWN_KIND: 'apiVersion and kind name no resource type that Kubernetes serves',
  W_DEPRECATED_API: 'A deprecated apiVersion was converted',
  W_PORT_SHORTHAND: 'port: 80 was written where port: {number: 80} is expected',
  W_PATHTYPE_MISSING: 'pathType is missing and defaults to ImplementationSpecific',
  E_PATHTYPE_INVALID: 'pathType is not Exact, Prefix or ImplementationSpecific',
  E_PATH_INVALID: 'A path does not start with "/" or contains characters Ingress rejects',
  E_HOST_INVALID: 'A host is not a valid DNS name or wildcard',
  E_BACKEND_INVALID: 'A backend names neither a service nor a resource, or both',
  W_RESOURCE_BACKEND: 'A resource backend cannot be served locally',
  E_DUPLICATE_RESOURCE: 'Two resources have the same kind, namespace and name',
  // Service
  E_SERVICE_PORT_INVALID: 'A Service port is invalid',
  E_SERVICE_TYPE_INVALID: 'A Service type is not one Kubernetes knows',
  // Gateway API (read as written; the model checks what needs other resources)
  E_LISTENER_INVALID: 'A Gateway listener has a port, TLS mode or allowedRoutes value the Gateway API does not allow; the listener is ignored',
  E_PARENT_REF_INVALID: 'A parentRef of a route has a value the Gateway API does not allow; the reference is ignored',
  E_MATCH_INVALID: 'An HTTPRoute or GRPCRoute match has a type, method, path or regular expression that cannot be used; the match is ignored',
  E_RULE_NO_MATCH: 'None of the matches of a route rule can be used; the rule is ignored (with no match it would take every request)',
  E_FILTER_TYPE_UNKNOWN: 'A route filter has a type that is not one of the route kind, or one ingress-dev does not emulate',
  E_FILTER_INVALID: 'A route filter has settings the Gateway API does not allow (scheme, status code, path modifier, percentage), or cannot be applied (the rule answers 500)',
  // semantics across resources
  E_SERVICE_NOT_FOUND: 'The Service a backend names does not exist in its namespace',
  E_SERVICE_PORT_NOT_FOUND: 'The Service has no port with that number or name',
  W_DUPLICATE_PATH: 'The same host, path and pathType are defined more than once',
  W_PROFILE_CONFLICT: 'A host is named by Ingresses of ingress-nginx and of another controller; one port serves it as ingress-nginx does',
  E_ANNOTATION_RISK: 'An ingress-nginx annotation of risk Critical (a snippet): ingress-nginx refuses the Ingress with its default annotations-risk-level',
  W_ANNOTATION_NOT_EMULATED: 'An ingress-nginx annotation that changes what the cluster does, which ingress-dev does not emulate',
  E_NGINX_AUTH_SECRET: 'The Secret of an ingress-nginx basic auth is missing or has no htpasswd file: its Ingress answers 503',
  W_CANARY_NOT_ENABLED: 'canary-* annotations on an Ingress without canary: "true": ingress-nginx ignores them',
  W_CANARY_UNMATCHED: 'A canary Ingress whose host and path no main Ingress serves: ingress-nginx serves nothing of it',
  W_AFFINITY_COOKIE_PATH: 'Cookie affinity on an Ingress with regex paths and no session-cookie-path: the cookie\'s Path is the regex as written',
  W_CORS_ORIGIN_SKIPPED: 'An origin of cors-allow-origin that ingress-nginx skips',
  W_ANNOTATION_OTHER_PROFILE: 'An ingress-nginx annotation on an Ingress that the specification profile routes: it has no effect there',
  E_ANNOTATION_VALUE: 'An ingress-nginx annotation has a value ingress-nginx refuses; it is ignored, or the Ingress is not served, as ingress-nginx does',
  E_NGINX_REGEX: 'A path of a regex host is not a regular expression nginx and ingress-dev can both read',
  E_NGINX_DUPLICATE_LOCATION: 'Two paths of a host become the same nginx location, which nginx refuses',
  W_MULTIPLE_DEFAULT_BACKENDS: 'More than one Ingress defines a defaultBackend',
  W_TLS_SECRET_TYPE: 'A spec.tls Secret that is not of type kubernetes.io/tls: its hosts get a certificate of the local CA',
  W_TLS_SECRET_INVALID: 'A spec.tls Secret whose tls.crt or tls.key is missing, malformed or not a pair: its hosts get a certificate of the local CA',
  W_TLS_CERT_EXPIRED: 'The certificate of a spec.tls Secret has expired (or is not valid yet): its hosts get a certificate of the local CA',
  W_TLS_CERT_HOST: 'The certificate of a spec.tls Secret does not cover a host of the entry: that host gets a certificate of the local CA',
  W_TLS_HOST_UNUSED: 'A TLS host is not used by any rule',
  W_INGRESS_CLASS_NOT_FOUND: 'ingressClassName names an IngressClass that is not in the folder',
  W_UNKNOWN_ANNOTATION: 'An annotation of another ingress controller, or a key that is not one of ingress-nginx (with the closest one)',
  I_ANNOTATION_IGNORED: 'An annotation that ingress-dev does not read',
  W_MULTIPLE_DEFAULT_CLASSES: 'More than one IngressClass is marked as the default',
  I_NO_INGRESS: 'No Ingress was found in the folder',
  // Gateway API: what a controller would write in a status
  W_NO_GATEWAY: 'The folder has HTTPRoutes but no Gateway for them to attach to',
  W_GATEWAY_CLASS_NOT_FOUND: 'gatewayClassName names a GatewayClass that is not in the folder',
  W_LISTENER_NOT_SERVED: 'A Gateway listener of a protocol or TLS mode that ingress-dev does not serve',
  E_LISTENER_CONFLICT: 'Two listeners of a Gateway have the same name, or the same port, protocol and hostname',
  E_ROUTE_NOT_ACCEPTED: 'A route (or one of its parentRefs) attaches to no listener: Accepted is False, with the reason',
  E_BACKEND_REF_INVALID: 'A backendRef a controller cannot resolve (ResolvedRefs False): its share of requests answers 500',
  W_HOST_BOTH_APIS: 'A host is served both by an Ingress and by an HTTPRoute: one of them answers',
  // the config file
  E_CONFIG: 'The config file ingress-dev.yaml is invalid',
  W_CONFIG_UNSUPPORTED: 'A config setting is not supported yet',
  E_MAPPING: 'A Service mapping is invalid',
  // route test files
  E_TEST_FILE: 'A route test file is invalid',
  // workloads run as containers (`up --run`)
  E_WORKLOAD_INVALID: 'A Deployment, StatefulSet or Pod cannot be run as a container as written',
  E_WORKLOAD_REF_NOT_FOUND: 'A workload reads a ConfigMap or Secret (or a key of one) that is not in the folder',
  E_IMAGE_PULL: 'The image of a workload is not on this machine and could not be pulled',
  W_IMAGE_PULL: 'The image of a workload could not be pulled again; the local copy is used',
  E_WORKLOAD_START: 'The engine refused to create or start the container of a workload',
  W_SIDECARS_NOT_RUN: 'Only the first container of a pod is run; sidecars and init containers are not',
  W_VOLUMES_NOT_MOUNTED: 'Volumes of a pod are not mounted into its container',
  W_ENV_NOT_SET: 'An environment variable of a workload cannot be set locally and is left out',
  W_READINESS_PROBE: 'A readinessProbe cannot be run as written',
  I_CONTROLLER_NOT_RUN: "The folder's ingress-nginx controller is not run: ingress-dev routes in its place",
} as const;

export type DiagnosticCode = keyof typeof diagnosticCodes;
