export type * from './types.js';
export { emptyResourceSet } from './types.js';
export { createProjectLoader, findManifestFiles, loadFiles, loadProject, type LoadOptions, type ProjectLoader } from './load.js';
export { mergeParsedFiles, parseManifests, parseSourceFile, type ParsedEntry, type ParsedFile, type ParseResult } from './parse.js';
export { parseRouteTests, type RouteTest, type RouteTestExpectation } from './route-tests.js';
