import { boolAnnotation } from './annotation.js';

/**
 * `use-regex` (annotations/rewrite/main.go, ValidateBool): the Ingress's paths are regular
 * expressions. On ingress-nginx it switches every location of the host to a case-insensitive
 * regex (template.go enforceRegexModifier; docs/user-guide/ingress-path-matching.md).
 */
export const useRegex = boolAnnotation('use-regex', 'paths are case-insensitive regular expressions matched from the start; turns every path of the host into one (default false)');
