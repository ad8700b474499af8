/** Syntax tree of an RFC 9535 JSONPath query, as produced by `parseJsonPath`. */

export type Selector =
  | { kind: 'name'; name: string }
  | { kind: 'wildcard' }
  | { kind: 'index'; index: number }
  | { kind: 'slice'; start: number | undefined; end: number | undefined; step: number | undefined }
  | { kind: 'filter'; expr: LogicalExpr };

export interface Segment {
  descendant: boolean;
  selectors: Selector[];
}

export interface Query {
  /** `$` (absolute) or `@` (relative, only inside filters). */
  root: '$' | '@';
  segments: Segment[];
}

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';

export type JsonLiteral = string | number | boolean | null;

/** The three types of RFC 9535 section 2.4.1. */
export type ExprType = 'value' | 'logical' | 'nodes';

export type FunctionArg =
  | { kind: 'value'; operand: Comparable }
  | { kind: 'nodes'; query: Query }
  | { kind: 'logical'; expr: LogicalExpr };

export interface FunctionCall {
  name: string;
  args: FunctionArg[];
  result: ExprType;
}

/** An operand of a comparison, and every ValueType function argument. */
export type Comparable =
  | { kind: 'literal'; value: JsonLiteral }
  | { kind: 'singular'; query: Query }
  | { kind: 'call'; call: FunctionCall };

export type LogicalExpr =
  | { kind: 'or'; operands: LogicalExpr[] }
  | { kind: 'and'; operands: LogicalExpr[] }
  | { kind: 'not'; operand: LogicalExpr }
  | { kind: 'exists'; query: Query }
  | { kind: 'compare'; op: CompareOp; left: Comparable; right: Comparable }
  /** A LogicalType function, or a NodesType one tested for non-emptiness. */
  | { kind: 'test-call'; call: FunctionCall };

/** Child segments of single names or indexes only (RFC 9535 section 2.3.5.1). */
export function isSingular(query: Query): boolean {
  return query.segments.every(
    (s) => !s.descendant && s.selectors.length === 1 && (s.selectors[0]!.kind === 'name' || s.selectors[0]!.kind === 'index'),
  );
}
