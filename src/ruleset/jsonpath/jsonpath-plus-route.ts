/**
 * The queries handed to jsonpath-plus (10.4.x, `eval: false`), and why only these.
 *
 * Read against its source, jsonpath-plus differs from RFC 9535 in ways that depend on the
 * document, so they cannot be caught at load time:
 * - it follows any own property, so a name selects `length` of arrays and strings, `"0"` of an
 *   array or a string, and an index selects the member `"0"` of an object;
 * - after a name or wildcard step it prefers a literal member, so `$.a.*` on `{"a":{"*":1,"b":2}}`
 *   gives `[1]`, and `..` after one follows a member named `".."`;
 * - negative indexes select nothing, a negative slice step is unsupported, step 0 means 1;
 * - a falsy document (`0`, `""`, `false`, `null`) answers `undefined`;
 * - its path string is re-parsed, so names with quotes, `.`, `,`, `~`, `^`, `@`, `$`, `*` or `:`
 *   change meaning.
 * What remains exact for every JSON document: a first segment `.*` (or `[*]`) followed only by
 * `.name` steps whose names are plain identifiers other than `length`, on an array or object
 * root; those keys go to jsonpath-plus. Descendant keys (`..name`, `..*`) are exact there too,
 * but jsonpath-plus recurses once per nesting level and copies its path array at every node:
 * on the 2 KB answer of bench/rule-eval.ts it took 11 µs for `$..email` against 2.7 µs for the
 * walker, half the SPEC 9 budget for a whole table, so they use the walker. Plain names and
 * indexes use the direct accessor in compile.ts; everything else (unions, slices, indexes after
 * a wildcard, quoted names, filters, later wildcards, descendants) uses leadgate's own RFC
 * walker in evaluate.ts.
 */
import { JSONPath } from 'jsonpath-plus';
import type { Query } from './ast.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The jsonpath-plus expression for `query`, or undefined if jsonpath-plus would not be exact. */
export function jsonPathPlusExpression(query: Query): string | undefined {
  const [first, ...rest] = query.segments;
  if (!first || first.descendant || first.selectors.length !== 1 || first.selectors[0]!.kind !== 'wildcard') {
    return undefined;
  }
  let expression = '$.*';
  for (const segment of rest) {
    const selector = segment.selectors[0]!;
    if (segment.descendant || segment.selectors.length !== 1 || selector.kind !== 'name' || !isSafeName(selector.name)) {
      return undefined;
    }
    expression += `.${selector.name}`;
  }
  return expression;
}

function isSafeName(name: string): boolean {
  return IDENTIFIER.test(name) && name !== 'length';
}

/** One reused instance: a fresh `JSONPath({...})` per call is several times slower. */
const engine = JSONPath({ autostart: false, eval: false, wrap: true, resultType: 'value', json: null, path: '$' });

export function evaluateWithJsonPathPlus(expression: string, document: object): unknown[] {
  return engine.evaluate(expression, document, undefined, undefined) as unknown[];
}
