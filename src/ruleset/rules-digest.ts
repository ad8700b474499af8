import { createHash } from 'node:crypto';
import { ruleFileEtag, type RuleFile } from './rule-file.js';

/** A file as a compiled set lists it (`RuleSet.files`): its path and the sha256 of its text. */
export interface FileVersion {
  path: string;
  etag: string;
}

/**
 * One sha256 over every file's path and content hash, in the loader's order: two equal digests
 * mean the loader would compile exactly the same texts. It takes a compiled set's `files` as well
 * as a folder just read, so what is active and what is on disk compare directly.
 */
export function rulesDigest(files: readonly FileVersion[]): string {
  return createHash('sha256')
    .update(JSON.stringify(files.map((f) => [f.path, f.etag])))
    .digest('hex');
}

/** The digest of rule files as `readRulesDir` returns them. */
export const digestOfFiles = (files: readonly RuleFile[]): string => rulesDigest(files.map((f) => ({ path: f.path, etag: ruleFileEtag(f) })));
