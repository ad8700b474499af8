/**
 * JSONPath keys: validated as RFC 9535 once per rule load, then evaluated by the fastest engine
 * that gives exactly the RFC answer (see jsonpath-plus-route.ts for which query goes where).
 */
import type { Comparable, FunctionCall, LogicalExpr, Query } from './ast.js';
import { isJsonObject } from './compare.js';
import { queryValues } from './evaluate.js';
import { evaluateWithJsonPathPlus, jsonPathPlusExpression } from './jsonpath-plus-route.js';
import { parseJsonPath } from './parser.js';

export type JsonPathEngine = 'direct' | 'jsonpath-plus' | 'rfc-walker';

export interface CompiledPath {
  readonly source: string;
  readonly engine: JsonPathEngine;
  /**
   * The values of the selected nodelist, in RFC 9535 order (object members in key order), for a
   * JSON value as `JSON.parse` returns it. Members are own properties only.
   */
  values(document: unknown): unknown[];
}

export type CompileJsonPathResult = { ok: true; path: CompiledPath } | { ok: false; message: string };

/** Functions a key may not call: a pattern from a key or from the CRM's answer is a ReDoS risk. */
const UNSUPPORTED_FUNCTIONS = new Set(['match', 'search']);

export function compileJsonPath(key: string): CompileJsonPathResult {
  const parsed = parseJsonPath(key);
  if (!parsed.ok) return { ok: false, message: `${parsed.message} (at character ${parsed.pos + 1})` };
  const { query } = parsed;
  const unsupported = findUnsupportedFunction(query);
  if (unsupported) {
    return {
      ok: false,
      message: `the filter function ${unsupported}() is not supported in keys (use a row with op: regex instead)`,
    };
  }
  const steps = directSteps(query);
  if (steps) return { ok: true, path: { source: key, engine: 'direct', values: directAccessor(steps) } };
  const expression = jsonPathPlusExpression(query);
  if (expression) return { ok: true, path: { source: key, engine: 'jsonpath-plus', values: viaJsonPathPlus(expression) } };
  return { ok: true, path: { source: key, engine: 'rfc-walker', values: (document) => queryValues(query, document) } };
}

/** Member names and indexes, when every segment is a single name or index child selector. */
function directSteps(query: Query): (string | number)[] | undefined {
  const steps: (string | number)[] = [];
  for (const segment of query.segments) {
    const selector = segment.selectors[0]!;
    if (segment.descendant || segment.selectors.length !== 1) return undefined;
    if (selector.kind === 'name') steps.push(selector.name);
    else if (selector.kind === 'index') steps.push(selector.index);
    else return undefined;
  }
  return steps;
}

function directAccessor(steps: (string | number)[]): (document: unknown) => unknown[] {
  return (document) => {
    let value = document;
    for (const step of steps) {
      if (typeof step === 'string') {
        if (!isJsonObject(value) || !Object.hasOwn(value, step)) return [];
        value = value[step];
      } else {
        if (!Array.isArray(value)) return [];
        const i = step < 0 ? value.length + step : step;
        if (i < 0 || i >= value.length) return [];
        value = value[i];
      }
    }
    return [value];
  };
}

function viaJsonPathPlus(expression: string): (document: unknown) => unknown[] {
  return (document) =>
    // A wildcard on a scalar root selects nothing; jsonpath-plus would answer undefined for a falsy one.
    typeof document === 'object' && document !== null ? evaluateWithJsonPathPlus(expression, document) : [];
}

function findUnsupportedFunction(query: Query): string | undefined {
  for (const segment of query.segments) {
    for (const selector of segment.selectors) {
      if (selector.kind !== 'filter') continue;
      const found = inLogical(selector.expr);
      if (found) return found;
    }
  }
  return undefined;
}

function inLogical(expr: LogicalExpr): string | undefined {
  switch (expr.kind) {
    case 'or':
    case 'and':
      return expr.operands.map(inLogical).find(Boolean);
    case 'not':
      return inLogical(expr.operand);
    case 'exists':
      return findUnsupportedFunction(expr.query);
    case 'compare':
      return inComparable(expr.left) ?? inComparable(expr.right);
    case 'test-call':
      return inCall(expr.call);
  }
}

function inComparable(c: Comparable): string | undefined {
  if (c.kind === 'singular') return findUnsupportedFunction(c.query);
  return c.kind === 'call' ? inCall(c.call) : undefined;
}

function inCall(call: FunctionCall): string | undefined {
  if (UNSUPPORTED_FUNCTIONS.has(call.name)) return call.name;
  for (const arg of call.args) {
    const found =
      arg.kind === 'value' ? inComparable(arg.operand) : arg.kind === 'nodes' ? findUnsupportedFunction(arg.query) : inLogical(arg.expr);
    if (found) return found;
  }
  return undefined;
}
