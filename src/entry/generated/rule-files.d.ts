import type { RuleFile } from '../../ruleset/rule-file.js';

/**
 * The rules folder as it was at build time, written by scripts/bundle-rules.ts into
 * rule-files.js (generated, not committed) before wrangler bundles the Worker.
 */
export declare const RULE_FILES: readonly RuleFile[];
/** the folder it was read from, for the start-up log */
export declare const RULES_SOURCE: string;
