export * from './diagnostic.js';
export * from './catalogue.js';
export * from './format.js';
