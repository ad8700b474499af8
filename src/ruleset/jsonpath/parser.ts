/** Recursive-descent parser for the RFC 9535 query grammar (section 2 and appendix A). */
import type { Query, Segment, Selector } from './ast.js';
import { parseFilterSelector } from './filter-parser.js';
import { describe, JsonPathSyntaxError, tokenize, type Token, type TokenKind } from './lexer.js';

export type ParseResult = { ok: true; query: Query } | { ok: false; message: string; pos: number };

export function parseJsonPath(source: string): ParseResult {
  try {
    const parser = new Parser(tokenize(source));
    const first = parser.peek();
    if (first.spaceBefore) parser.fail('leading whitespace is not allowed', 0);
    if (first.kind !== '$') parser.fail('a query must start with "$"', first.pos);
    const query = parser.parseQuery();
    const end = parser.peek();
    if (end.kind !== 'eof') parser.fail(`unexpected ${describe(end)}`, end.pos);
    if (end.spaceBefore) parser.fail('trailing whitespace is not allowed', end.pos - 1);
    return { ok: true, query };
  } catch (error) {
    if (error instanceof JsonPathSyntaxError) return { ok: false, message: error.message, pos: error.pos };
    throw error;
  }
}

const MAX_INT = 2 ** 53 - 1;
const INT = /^(?:0|-?[1-9]\d*)$/;

export class Parser {
  private index = 0;

  constructor(private readonly tokens: Token[]) {}

  peek(): Token {
    return this.tokens[this.index]!;
  }

  next(): Token {
    const token = this.tokens[this.index]!;
    if (token.kind !== 'eof') this.index++;
    return token;
  }

  /** Consumes the next token if it is of `kind`. */
  accept(kind: TokenKind): Token | undefined {
    return this.peek().kind === kind ? this.next() : undefined;
  }

  expect(kind: TokenKind, what: string): Token {
    const token = this.peek();
    if (token.kind !== kind) this.fail(`expected ${what} but found ${describe(token)}`, token.pos);
    return this.next();
  }

  fail(message: string, pos: number): never {
    throw new JsonPathSyntaxError(message, pos);
  }

  /** `$` or `@` followed by segments; the caller has checked the identifier is next. */
  parseQuery(): Query {
    const root = this.next().kind as '$' | '@';
    const segments: Segment[] = [];
    for (;;) {
      const t = this.peek();
      if (t.kind === '.') segments.push(this.parseDotSegment());
      else if (t.kind === '..') segments.push(this.parseDescendantSegment());
      else if (t.kind === '[') segments.push({ descendant: false, selectors: this.parseBracketedSelection() });
      else return { root, segments };
    }
  }

  private parseDotSegment(): Segment {
    this.next();
    const t = this.peek();
    if (t.spaceBefore) this.fail('no whitespace is allowed after "."', t.pos - 1);
    if (t.kind === '*') {
      this.next();
      return { descendant: false, selectors: [{ kind: 'wildcard' }] };
    }
    if (t.kind === 'name') {
      this.next();
      return { descendant: false, selectors: [{ kind: 'name', name: t.text }] };
    }
    return this.fail(`expected a member name or "*" after "." but found ${describe(t)}`, t.pos);
  }

  private parseDescendantSegment(): Segment {
    this.next();
    const t = this.peek();
    if (t.spaceBefore) this.fail('no whitespace is allowed after ".."', t.pos - 1);
    if (t.kind === '*') {
      this.next();
      return { descendant: true, selectors: [{ kind: 'wildcard' }] };
    }
    if (t.kind === 'name') {
      this.next();
      return { descendant: true, selectors: [{ kind: 'name', name: t.text }] };
    }
    if (t.kind === '[') return { descendant: true, selectors: this.parseBracketedSelection() };
    return this.fail(`expected a member name, "*" or "[" after ".." but found ${describe(t)}`, t.pos);
  }

  private parseBracketedSelection(): Selector[] {
    this.next();
    const selectors = [this.parseSelector()];
    while (this.accept(',')) selectors.push(this.parseSelector());
    const t = this.peek();
    if (t.kind !== ']') this.fail(`expected "," or "]" but found ${describe(t)}`, t.pos);
    this.next();
    return selectors;
  }

  private parseSelector(): Selector {
    const t = this.peek();
    switch (t.kind) {
      case 'string':
        this.next();
        return { kind: 'name', name: t.text };
      case '*':
        this.next();
        return { kind: 'wildcard' };
      case '?':
        this.next();
        return { kind: 'filter', expr: parseFilterSelector(this) };
      case 'number': {
        const start = this.parseInt('an index');
        if (this.peek().kind !== ':') return { kind: 'index', index: start };
        return this.parseSliceRest(start);
      }
      case ':':
        return this.parseSliceRest(undefined);
      case '$':
      case '@':
        return this.fail(`a query is only allowed inside a filter "[?...]"`, t.pos);
      default:
        return this.fail(`expected a selector (name, index, slice, "*" or filter) but found ${describe(t)}`, t.pos);
    }
  }

  /** After the optional start: `":" [end] [":" [step]]`. */
  private parseSliceRest(start: number | undefined): Selector {
    this.expect(':', '":"');
    const end = this.peek().kind === 'number' ? this.parseInt('a slice end') : undefined;
    let step: number | undefined;
    if (this.accept(':') && this.peek().kind === 'number') step = this.parseInt('a slice step');
    return { kind: 'slice', start, end, step };
  }

  private parseInt(what: string): number {
    const t = this.next();
    if (!INT.test(t.text)) {
      this.fail(`${what} must be an integer without leading zeros, "+" or "-0" (found "${t.text}")`, t.pos);
    }
    const value = Number(t.text);
    if (!(Math.abs(value) <= MAX_INT)) this.fail(`${what} must be between -(2^53-1) and 2^53-1`, t.pos);
    return value;
  }
}
