/**
 * Preloaded (`node --import`) into every process the benchmark starts, leadgate included: when the
 * benchmark process goes away without stopping it (killed with SIGKILL, say), the child notices
 * that its parent changed and stops itself with SIGTERM, so no server or load outlives a run.
 * Plain JavaScript, so it needs no TypeScript loader in the process it watches.
 */
import process from 'node:process';
import { setInterval } from 'node:timers';

const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
}, 1_000).unref();
