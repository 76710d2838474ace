// Docker as a source of Service endpoints: find the engine, index its containers, select them;
// and run the workloads of the folder as containers (`up --run`).
export { createDockerDiscovery, formatDockerStatus, type DockerDiscovery, type DockerDiscoveryOptions } from './discovery.js';
export { findEngineCandidates, parseDockerHost, type EngineCandidates, type EngineEndpoint, type EngineEnv } from './engine.js';
export { formatContainer, type DockerContainer } from './containers.js';
export { resolveDockerEndpoints, selectContainers, type DockerResolution, type Selection } from './select.js';
export type { ContainerReadiness, DockerIndex, DockerSnapshot, DockerStatus, ReadinessIndex } from './types.js';
export { createApplyReportPrinter, createWorkloadRunner, formatApplyReport, type ApplyReport, type WorkloadOutcome, type WorkloadRunner, type WorkloadRunnerOptions } from './runner.js';
export { planWorkloads, type WorkloadPlan, type WorkloadPlans } from './workload-spec.js';
export { projectIdOf, runLabels } from './labels.js';
export { acquireRunLock, formatRunLockHolder, type RunLock, type RunLockHolder, type RunLockResult } from './run-lock.js';
