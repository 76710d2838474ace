import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireRunLock, formatRunLockHolder } from './run-lock.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ingress-dev-lock-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('acquireRunLock: one up --run per project folder (issue 10 item 1)', () => {
  it('refuses a second run of the same folder while the first one lives, naming it; another folder is free', () => {
    const first = acquireRunLock('/home/ada/shop', tmp);
    if (!first.ok) throw new Error('the first run must get the lock');
    first.lock.setUrl('http://127.0.0.1:8080');
    const second = acquireRunLock('/home/ada/shop', tmp);
    expect(second.ok).toBe(false);
    if (second.ok) return;
    expect(second.holder).toMatchObject({ pid: process.pid, url: 'http://127.0.0.1:8080' });
    expect(formatRunLockHolder(second.holder)).toMatch(new RegExp(`^pid ${process.pid}, listening on http://127\\.0\\.0\\.1:8080, since \\d\\d:\\d\\d:\\d\\d UTC$`));
    const other = acquireRunLock('/home/ada/blog', tmp);
    expect(other.ok).toBe(true);
    if (other.ok) other.lock.release();
    first.lock.release();
    const again = acquireRunLock('/home/ada/shop', tmp);
    expect(again.ok).toBe(true);
    if (again.ok) again.lock.release();
  });

  it('takes over the lock of a run that died', () => {
    const taken = acquireRunLock('/home/ada/shop', tmp);
    if (!taken.ok) throw new Error('free');
    // As a killed run leaves it: a process that no longer exists.
    writeFileSync(taken.lock.file, JSON.stringify({ pid: 2 ** 22 + 17, host: os.hostname(), startedAt: new Date().toISOString(), url: null }));
    const next = acquireRunLock('/home/ada/shop', tmp);
    expect(next.ok).toBe(true);
    if (next.ok) next.lock.release();
  });
});
