// Test helper (not a test): waits for "go" on stdin, tries the lock at argv[2] once, prints the
// outcome, and holds the lock until killed.
import { createInterface } from 'node:readline';
import { acquireInstanceLock } from '../../src/state/instance-lock.js';
import { systemClock } from '../../src/clock/clock.js';

const path = process.argv[2] as string;
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
console.log('ready');
await lines.next();
const attempt = await acquireInstanceLock(path, { clock: systemClock });
console.log(attempt.acquired ? 'acquired' : `held by ${attempt.owner.pid}`);
setInterval(() => {}, 1 << 30);
