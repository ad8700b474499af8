/** Evaluates a parsed query with exactly the semantics of RFC 9535 section 2. */
import type { Comparable, FunctionCall, LogicalExpr, Query, Selector } from './ast.js';
import { compareValues, isJsonObject, NOTHING, type Nothing } from './compare.js';

/** The values of the nodelist `query` selects, in RFC order; `current` is `@` inside filters. */
export function queryValues(query: Query, root: unknown, current: unknown = root): unknown[] {
  let nodes: unknown[] = [query.root === '$' ? root : current];
  for (const segment of query.segments) {
    const next: unknown[] = [];
    for (const node of nodes) {
      if (segment.descendant) selectDescendants(segment.selectors, node, root, next);
      else for (const selector of segment.selectors) select(selector, node, root, next);
    }
    nodes = next;
    if (nodes.length === 0) break;
  }
  return nodes;
}

/**
 * Applies the selectors to the node and all its descendants, nodes before their children, arrays
 * in order (section 2.5.2.2). Scalars are skipped as selectors select nothing from them.
 * Iterative, so a deeply nested answer cannot overflow the stack.
 */
function selectDescendants(selectors: Selector[], node: unknown, root: unknown, out: unknown[]): void {
  const stack: unknown[] = [node];
  while (stack.length > 0) {
    const value = stack.pop();
    if (Array.isArray(value)) {
      for (const selector of selectors) select(selector, value, root, out);
      for (let i = value.length - 1; i >= 0; i--) {
        const child: unknown = value[i];
        if (typeof child === 'object' && child !== null) stack.push(child);
      }
    } else if (isJsonObject(value)) {
      for (const selector of selectors) select(selector, value, root, out);
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const child = value[keys[i]!];
        if (typeof child === 'object' && child !== null) stack.push(child);
      }
    }
  }
}

function select(selector: Selector, node: unknown, root: unknown, out: unknown[]): void {
  switch (selector.kind) {
    case 'name':
      if (isJsonObject(node) && Object.hasOwn(node, selector.name)) out.push(node[selector.name]);
      return;
    case 'wildcard':
      if (Array.isArray(node)) for (const item of node) out.push(item);
      else if (isJsonObject(node)) for (const key of Object.keys(node)) out.push(node[key]);
      return;
    case 'index':
      if (Array.isArray(node)) {
        const i = selector.index < 0 ? node.length + selector.index : selector.index;
        if (i >= 0 && i < node.length) out.push(node[i]);
      }
      return;
    case 'slice':
      if (Array.isArray(node)) selectSlice(node, selector, out);
      return;
    case 'filter':
      if (Array.isArray(node)) {
        for (const child of node) if (test(selector.expr, child, root)) out.push(child);
      } else if (isJsonObject(node)) {
        for (const key of Object.keys(node)) if (test(selector.expr, node[key], root)) out.push(node[key]);
      }
      return;
  }
}

/** Section 2.3.4.2.2, including the defaults for a negative step. */
function selectSlice(array: unknown[], s: Extract<Selector, { kind: 'slice' }>, out: unknown[]): void {
  const len = array.length;
  const step = s.step ?? 1;
  if (step === 0) return;
  const normalize = (i: number): number => (i >= 0 ? i : len + i);
  if (step > 0) {
    const lower = Math.min(Math.max(normalize(s.start ?? 0), 0), len);
    const upper = Math.min(Math.max(normalize(s.end ?? len), 0), len);
    for (let i = lower; i < upper; i += step) out.push(array[i]);
  } else {
    const upper = Math.min(Math.max(normalize(s.start ?? len - 1), -1), len - 1);
    const lower = Math.min(Math.max(normalize(s.end ?? -len - 1), -1), len - 1);
    for (let i = upper; lower < i; i += step) out.push(array[i]);
  }
}

function test(expr: LogicalExpr, current: unknown, root: unknown): boolean {
  switch (expr.kind) {
    case 'or':
      return expr.operands.some((e) => test(e, current, root));
    case 'and':
      return expr.operands.every((e) => test(e, current, root));
    case 'not':
      return !test(expr.operand, current, root);
    case 'exists':
      return queryValues(expr.query, root, current).length > 0;
    case 'compare':
      return compareValues(expr.op, operandValue(expr.left, current, root), operandValue(expr.right, current, root));
    case 'test-call':
      return callLogical(expr.call);
  }
}

function operandValue(c: Comparable, current: unknown, root: unknown): unknown {
  switch (c.kind) {
    case 'literal':
      return c.value;
    case 'singular': {
      const nodes = queryValues(c.query, root, current);
      return nodes.length === 1 ? nodes[0] : NOTHING;
    }
    case 'call':
      return callValue(c.call, current, root);
  }
}

function callValue(call: FunctionCall, current: unknown, root: unknown): unknown {
  const arg = call.args[0]!;
  switch (call.name) {
    case 'length': {
      if (arg.kind !== 'value') break;
      return lengthOf(operandValue(arg.operand, current, root));
    }
    case 'count':
      if (arg.kind !== 'nodes') break;
      return queryValues(arg.query, root, current).length;
    case 'value': {
      if (arg.kind !== 'nodes') break;
      const nodes = queryValues(arg.query, root, current);
      return nodes.length === 1 ? nodes[0] : NOTHING;
    }
  }
  throw new Error(`JSONPath function ${call.name}() cannot be evaluated here`);
}

/** match() and search() are refused by `compileJsonPath`, so no query reaching here calls them. */
function callLogical(call: FunctionCall): boolean {
  throw new Error(`JSONPath function ${call.name}() is not supported`);
}

function lengthOf(value: unknown): number | Nothing {
  if (typeof value === 'string') {
    let n = 0;
    for (const _ of value) n++;
    return n;
  }
  if (Array.isArray(value)) return value.length;
  if (isJsonObject(value)) return Object.keys(value).length;
  return NOTHING;
}
