/**
 * `npm run bench`: side-by-side measurements in one run, reported as ratios. Numbers from here,
 * never from tests (machines are shared and noisy).
 */
import { benchCompile } from './compile.js';
import { benchDiff } from './diff.js';
import { benchMatch } from './match.js';
import { benchProxy } from './proxy.js';
import { benchReload } from './reload.js';
import { benchTls } from './tls.js';

const only = process.argv[2];
if (only === undefined || only === 'compile') benchCompile();
if (only === undefined || only === 'match') benchMatch();
if (only === undefined || only === 'diff') benchDiff();
if (only === undefined || only === 'proxy') await benchProxy();
if (only === undefined || only === 'reload') await benchReload();
if (only === undefined || only === 'tls') await benchTls();
