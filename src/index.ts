// The library API: the same functions the CLI uses.
export * from './diagnostics/index.js';
export type * from './manifest/types.js';
export { loadProject } from './manifest/load.js';
export { parseManifests } from './manifest/parse.js';
export { parseRouteTests, type RouteTest, type RouteTestExpectation } from './manifest/route-tests.js';
export * from './model/index.js';
export { matchRequest, explainRequest } from './routing/match.js';
export type * from './routing/types.js';
export { runCli } from './cli/main.js';
