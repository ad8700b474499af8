// Run as a child process by watch-lifecycle.test.ts: starts a watcher (events, scan, and a
// reload pending) and returns without closing it. The process must then end by itself.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { readRulesDir } from '../../../src/ruleset/read-rules-dir.js';
import { compileRuleSet } from '../../../src/ruleset/rule-set.js';
import { RulesHolder } from '../../../src/ruleset/rules-holder.js';
import { watchRules } from '../../../src/ruleset/watch-rules.js';

const dir = process.argv[2]!;
const loaded = compileRuleSet(await readRulesDir(dir));
if (!loaded.ok) throw new Error('the rules must load');
watchRules(dir, new RulesHolder(loaded.rules), pino({ level: 'silent' }), { scanIntervalMs: 20, debounceMs: 60_000, maxWaitMs: 60_000 });
await writeFile(join(dir, 'dialer.yaml'), `${process.argv[3]}\n`);
console.log('watching, with a reload pending');
