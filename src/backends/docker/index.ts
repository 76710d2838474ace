// Docker as a source of Service endpoints: find the engine, index its containers, select them.
export { createDockerDiscovery, formatDockerStatus, type DockerDiscovery, type DockerDiscoveryOptions } from './discovery.js';
export { findEngineCandidates, parseDockerHost, type EngineCandidates, type EngineEndpoint, type EngineEnv } from './engine.js';
export { formatContainer, type DockerContainer } from './containers.js';
export { resolveDockerEndpoints, selectContainers, type DockerResolution, type Selection } from './select.js';
export type { DockerIndex, DockerSnapshot, DockerStatus } from './types.js';
