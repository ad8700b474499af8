import { compileConnect, type CompiledConnect } from '../../src/crm/compile-connect.js';
import { formatRuleErrors } from '../../src/ruleset/rule-error.js';

export const CONNECT_FILE = 'connects/acme-crm.yaml';

/** Compiles a connect from `{ version: 1, ...fields }`, failing the test on load errors (`demoFile`: as if marked demo: true). */
export function connectFrom(fields: Record<string, unknown>, env: Record<string, string | undefined> = {}, demoFile = false): CompiledConnect {
  const result = compileConnect({ version: 1, ...fields }, CONNECT_FILE, env, demoFile);
  if (!result.ok) throw new Error(formatRuleErrors(result.errors));
  return result.connect;
}

export function loadErrors(fields: Record<string, unknown>, env: Record<string, string | undefined> = {}) {
  const result = compileConnect({ version: 1, ...fields }, CONNECT_FILE, env);
  if (result.ok) throw new Error('expected load errors');
  return result.errors;
}
