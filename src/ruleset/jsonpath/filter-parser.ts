/** Filter expressions (RFC 9535 section 2.3.5) with the well-typedness rules of section 2.4.3. */
import {
  isSingular,
  type Comparable,
  type CompareOp,
  type ExprType,
  type FunctionArg,
  type FunctionCall,
  type LogicalExpr,
  type Query,
} from './ast.js';
import { describe, type TokenKind } from './lexer.js';
import type { Parser } from './parser.js';

/** The function extensions of RFC 9535 section 2.4.4 to 2.4.8. */
const FUNCTIONS = new Map<string, { params: ExprType[]; result: ExprType }>([
  ['length', { params: ['value'], result: 'value' }],
  ['count', { params: ['nodes'], result: 'value' }],
  ['match', { params: ['value', 'value'], result: 'logical' }],
  ['search', { params: ['value', 'value'], result: 'logical' }],
  ['value', { params: ['nodes'], result: 'value' }],
]);

const COMPARE_OPS = new Set<TokenKind>(['==', '!=', '<', '<=', '>', '>=']);
const NUMBER_LITERAL = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/** What an expression parsed to, before its context decides which type it must have. */
type Operand =
  | { kind: 'literal'; comparable: Comparable; pos: number }
  | { kind: 'query'; query: Query; pos: number }
  | { kind: 'call'; call: FunctionCall; pos: number }
  | { kind: 'logical'; expr: LogicalExpr; pos: number };

/** Parses what follows `?` in a filter selector. */
export function parseFilterSelector(p: Parser): LogicalExpr {
  return toLogical(p, parseOr(p));
}

function parseOr(p: Parser): Operand {
  const first = parseAnd(p);
  if (p.peek().kind !== '||') return first;
  const operands = [toLogical(p, first)];
  while (p.accept('||')) operands.push(toLogical(p, parseAnd(p)));
  return { kind: 'logical', expr: { kind: 'or', operands }, pos: first.pos };
}

function parseAnd(p: Parser): Operand {
  const first = parseBasic(p);
  if (p.peek().kind !== '&&') return first;
  const operands = [toLogical(p, first)];
  while (p.accept('&&')) operands.push(toLogical(p, parseBasic(p)));
  return { kind: 'logical', expr: { kind: 'and', operands }, pos: first.pos };
}

function parseBasic(p: Parser): Operand {
  const t = p.peek();
  if (t.kind === '!') {
    p.next();
    const inner = p.peek().kind === '(' ? parseParen(p) : toLogical(p, parsePrimary(p));
    return { kind: 'logical', expr: { kind: 'not', operand: inner }, pos: t.pos };
  }
  if (t.kind === '(') return { kind: 'logical', expr: parseParen(p), pos: t.pos };
  const left = parsePrimary(p);
  const op = p.peek();
  if (!COMPARE_OPS.has(op.kind)) return left;
  p.next();
  const right = parsePrimary(p);
  return {
    kind: 'logical',
    expr: { kind: 'compare', op: op.kind as CompareOp, left: toComparable(p, left), right: toComparable(p, right) },
    pos: left.pos,
  };
}

function parseParen(p: Parser): LogicalExpr {
  p.next();
  const inner = toLogical(p, parseOr(p));
  p.expect(')', '")"');
  return inner;
}

/** A literal, a query, or a function call. */
function parsePrimary(p: Parser): Operand {
  const t = p.peek();
  const pos = t.pos;
  switch (t.kind) {
    case 'string':
      p.next();
      return { kind: 'literal', comparable: { kind: 'literal', value: t.text }, pos };
    case 'number':
      p.next();
      if (!NUMBER_LITERAL.test(t.text)) p.fail(`invalid number "${t.text}"`, pos);
      return { kind: 'literal', comparable: { kind: 'literal', value: Number(t.text) }, pos };
    case '$':
    case '@':
      return { kind: 'query', query: p.parseQuery(), pos };
    case 'name': {
      p.next();
      const paren = p.peek();
      if (paren.kind === '(' && !paren.spaceBefore) return { kind: 'call', call: parseCall(p, t.text, pos), pos };
      if (t.text === 'true' || t.text === 'false') {
        return { kind: 'literal', comparable: { kind: 'literal', value: t.text === 'true' }, pos };
      }
      if (t.text === 'null') return { kind: 'literal', comparable: { kind: 'literal', value: null }, pos };
      if (FUNCTIONS.has(t.text)) return p.fail(`function name "${t.text}" must be followed directly by "("`, pos);
      return p.fail(`unexpected name "${t.text}" (literals are true, false and null, in lower case)`, pos);
    }
    default:
      return p.fail(`expected a literal, a query or a function call but found ${describe(t)}`, pos);
  }
}

function parseCall(p: Parser, name: string, pos: number): FunctionCall {
  const signature = FUNCTIONS.get(name);
  if (!signature) p.fail(`unknown function "${name}"`, pos);
  p.next();
  const operands: Operand[] = [];
  if (p.peek().kind !== ')') {
    operands.push(parseOr(p));
    while (p.accept(',')) operands.push(parseOr(p));
  }
  p.expect(')', '"," or ")"');
  if (operands.length !== signature.params.length) {
    p.fail(`${name}() takes ${signature.params.length} argument(s), not ${operands.length}`, pos);
  }
  const args = operands.map((operand, i) => toArgument(p, name, signature.params[i]!, operand));
  return { name, args, result: signature.result };
}

function toArgument(p: Parser, fn: string, type: ExprType, operand: Operand): FunctionArg {
  if (type === 'value') return { kind: 'value', operand: toComparable(p, operand) };
  if (type === 'logical') return { kind: 'logical', expr: toLogical(p, operand) };
  if (operand.kind !== 'query') p.fail(`the argument of ${fn}() must be a query`, operand.pos);
  return { kind: 'nodes', query: operand.query };
}

function toLogical(p: Parser, operand: Operand): LogicalExpr {
  switch (operand.kind) {
    case 'logical':
      return operand.expr;
    case 'query':
      return { kind: 'exists', query: operand.query };
    case 'call':
      if (operand.call.result === 'value') {
        p.fail(`the result of ${operand.call.name}() must be compared`, operand.pos);
      }
      return { kind: 'test-call', call: operand.call };
    case 'literal':
      return p.fail('a literal must be compared', operand.pos);
  }
}

function toComparable(p: Parser, operand: Operand): Comparable {
  switch (operand.kind) {
    case 'literal':
      return operand.comparable;
    case 'query':
      if (!isSingular(operand.query)) {
        p.fail('only a singular query (names and indexes only) can be compared or passed as a value', operand.pos);
      }
      return { kind: 'singular', query: operand.query };
    case 'call':
      if (operand.call.result !== 'value') {
        p.fail(`the result of ${operand.call.name}() cannot be compared`, operand.pos);
      }
      return { kind: 'call', call: operand.call };
    case 'logical':
      return p.fail('a logical expression cannot be compared', operand.pos);
  }
}
