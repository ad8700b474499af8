#!/usr/bin/env node
import { RuleLoadError } from '../ruleset/rule-error.js';
import { runCli } from './program.js';

runCli(process.argv.slice(2)).then(
  (result) => {
    // 'serving': the server's signal handlers end the process
    if (result !== 'serving') process.exitCode = result;
  },
  (error: unknown) => {
    console.error(error instanceof RuleLoadError ? error.message : error instanceof Error ? error.message : error);
    // a failed command may leave handles open (a pool, a watcher): do not wait for them
    process.exit(1);
  },
);
