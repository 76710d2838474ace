export type * from './types.js';
export { emptyResourceSet } from './types.js';
export { findManifestFiles, loadFiles, loadProject, type LoadOptions } from './load.js';
export { parseManifests, type ParseResult } from './parse.js';
export { parseRouteTests, type RouteTest, type RouteTestExpectation } from './route-tests.js';
