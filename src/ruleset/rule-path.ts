import { RULE_FILE_PATTERN } from './rule-file.js';

export type RulePathCheck = { ok: true; path: string } | { ok: false; error: string };

/**
 * A rule file path as it arrives in a URL (still percent-encoded), checked before it comes near
 * the file system: decoded once, then it must be a path the loader itself would read
 * (`name.yaml` or `folder/name.yaml`, letters, digits, `_ - .`), which leaves no room for `..`,
 * absolute paths, backslashes, NUL or a second level of encoding.
 */
export function checkRulePath(encoded: string): RulePathCheck {
  let path: string;
  try {
    path = decodeURIComponent(encoded);
  } catch {
    return { ok: false, error: 'the path is not valid percent-encoding' };
  }
  if (path.startsWith('/') || path.startsWith('\\') || /^[a-z]:/i.test(path)) return { ok: false, error: 'the path must be relative to the rules folder' };
  if (path.split(/[/\\]/).some((segment) => segment === '..' || segment === '.')) return { ok: false, error: 'the path may not leave the rules folder' };
  if (!RULE_FILE_PATTERN.test(path)) {
    return { ok: false, error: 'not a rule file path: expected name.yaml, name.yml or name.json, at most one folder deep (letters, digits, _ - .)' };
  }
  return { ok: true, path };
}

/** A path that is well-formed but must not be touched: a symbolic link, or not a plain file. */
export class RulePathRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RulePathRefused';
  }
}
