import { lineColumn } from './line-column.js';

/** Where and why a text is not JSON, in words for the person who wrote it. */
export interface JsonSyntaxError {
  /** UTF-16 offset of the offending character */
  offset: number;
  line: number;
  column: number;
  /** e.g. `unexpected '}' at line 3, column 5 (expected a property name in double quotes)` */
  message: string;
}

/**
 * The first syntax error of a text JSON.parse refused (RFC 8259 grammar), or undefined when it
 * finds none. V8's own messages cannot be used: some give a position ("at position 42"), some
 * none at all ("Unexpected token 'x', "…" is not valid JSON"), and those echo the text itself.
 * It only runs after JSON.parse failed, so it costs nothing on good bodies; it keeps its own
 * stack, so a deeply nested body cannot overflow the call stack.
 */
export function locateJsonSyntaxError(text: string): JsonSyntaxError | undefined {
  const scan = new Scanner(text);
  try {
    scan.document();
    return undefined;
  } catch (error) {
    if (!(error instanceof Found)) throw error;
    const { line, column } = lineColumn(text, error.offset);
    const hint = error.hint ? ` (${error.hint})` : '';
    return { offset: error.offset, line, column, message: `${error.problem} at line ${line}, column ${column}${hint}` };
  }
}

class Found {
  constructor(
    readonly offset: number,
    readonly problem: string,
    /** what was expected there, or how to fix it */
    readonly hint?: string,
  ) {}
}

const WORD = /[A-Za-z0-9_$]{1,20}/y;
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const CLOSER = { '{': '}', '[': ']' } as const;

class Scanner {
  private i = 0;
  private readonly open: Array<'{' | '['> = [];

  constructor(private readonly text: string) {}

  document(): void {
    let mode: 'value' | 'key' | 'colon' | 'after' = 'value';
    for (;;) {
      this.skipSpace();
      const c = this.text[this.i];
      const top = this.open.at(-1);
      if (mode === 'value') {
        if (c === undefined) this.fail('it ends early', 'expected a value');
        if (c === '{' || c === '[') {
          this.open.push(c);
          this.i++;
          this.skipSpace();
          if (this.text[this.i] === CLOSER[c]) {
            this.open.pop();
            this.i++;
            mode = 'after';
          } else {
            mode = c === '{' ? 'key' : 'value';
          }
        } else if (c === ']' && this.previousIsComma()) {
          this.fail("a trailing comma before ']'");
        } else {
          this.value();
          mode = 'after';
        }
      } else if (mode === 'key') {
        if (c === undefined) this.fail('it ends early', 'expected a property name in double quotes');
        if (c === '}' && this.previousIsComma()) this.fail("a trailing comma before '}'");
        if (c !== '"') this.fail(`unexpected ${this.shown()}`, 'expected a property name in double quotes');
        this.string();
        mode = 'colon';
      } else if (mode === 'colon') {
        if (c === undefined) this.fail('it ends early', "expected ':'");
        if (c !== ':') this.fail(`unexpected ${this.shown()}`, "expected ':' after the property name");
        this.i++;
        mode = 'value';
      } else {
        if (top === undefined) {
          if (c === undefined) return;
          this.fail(`unexpected ${this.shown()} after the end of the JSON value`);
        }
        const closer = CLOSER[top];
        if (c === undefined) this.fail('it ends early', `expected ',' or '${closer}'`);
        if (c === ',') {
          this.i++;
          mode = top === '{' ? 'key' : 'value';
        } else if (c === closer) {
          this.open.pop();
          this.i++;
        } else {
          this.fail(`unexpected ${this.shown()}`, `expected ',' or '${closer}'`);
        }
      }
    }
  }

  /** A string, number or literal starting at the current character. */
  private value(): void {
    const c = this.text[this.i]!;
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    for (const literal of ['true', 'false', 'null']) {
      if (this.text.startsWith(literal, this.i)) {
        WORD.lastIndex = this.i;
        // `nullx` is not `null` followed by junk to the reader: name the whole word
        if (WORD.exec(this.text)?.[0] === literal) {
          this.i += literal.length;
          return;
        }
      }
    }
    this.fail(`unexpected ${this.shown()}`, 'expected a value');
  }

  private string(): void {
    const start = this.i;
    let j = this.i + 1;
    for (;;) {
      if (j >= this.text.length) this.fail('an unclosed string', undefined, start);
      const c = this.text.charCodeAt(j);
      if (c === 0x22) break;
      if (c === 0x5c) {
        const next = this.text[j + 1];
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(j + 2, j + 6))) this.fail("a '\\u' escape without four hex digits", undefined, j);
          j += 6;
        } else if (next !== undefined && ESCAPES.has(next)) {
          j += 2;
        } else {
          if (next === undefined) this.fail('an unclosed string', undefined, start);
          this.fail(`a bad escape (a backslash before ${showAt(this.text, j + 1)}) inside a string`, 'escapes are \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX', j);
        }
        continue;
      }
      if (c < 0x20) {
        const what = c === 0x0a || c === 0x0d ? 'a line break' : `control character ${codePoint(c)}`;
        this.fail(`${what} inside a string`, 'write it as an escape such as \\n, or close the string before it', j);
      }
      j++;
    }
    this.i = j + 1;
  }

  private number(): void {
    const t = this.text;
    let j = this.i;
    if (t[j] === '-') j++;
    if (t[j] === '0') {
      j++;
      if (isDigit(t[j])) this.fail('a number with a leading zero', undefined, this.i);
    } else if (isDigit(t[j])) {
      while (isDigit(t[j])) j++;
    } else {
      this.fail(`unexpected ${this.shownAt(j)} after '-'`, 'expected a digit', j);
    }
    if (t[j] === '.') {
      j++;
      if (!isDigit(t[j])) this.fail(`unexpected ${this.shownAt(j)} after a decimal point`, 'expected a digit', j);
      while (isDigit(t[j])) j++;
    }
    if (t[j] === 'e' || t[j] === 'E') {
      j++;
      if (t[j] === '+' || t[j] === '-') j++;
      if (!isDigit(t[j])) this.fail(`unexpected ${this.shownAt(j)} in an exponent`, 'expected a digit', j);
      while (isDigit(t[j])) j++;
    }
    this.i = j;
  }

  private skipSpace(): void {
    const t = this.text;
    while (t[this.i] === ' ' || t[this.i] === '\t' || t[this.i] === '\n' || t[this.i] === '\r') this.i++;
  }

  private previousIsComma(): boolean {
    let j = this.i - 1;
    while (j >= 0 && /[ \t\n\r]/.test(this.text[j]!)) j--;
    return this.text[j] === ',';
  }

  /** The offending token at the current character, for `unexpected …`. */
  private shown(): string {
    return this.shownAt(this.i);
  }

  private shownAt(at: number): string {
    if (at >= this.text.length) return 'end';
    WORD.lastIndex = at;
    const word = WORD.exec(this.text)?.[0];
    // a bare word (tru, undefined, NaN, a form field name) reads better whole than as its first letter
    return word && /^[A-Za-z_$]/.test(word) ? `'${word}'` : showAt(this.text, at);
  }

  private fail(problem: string, hint?: string, at = this.i): never {
    throw new Found(at, problem, hint);
  }
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

function codePoint(c: number): string {
  return `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** One character for a message: quoted when printable, else its code point (never half a surrogate pair). */
function showAt(text: string, at: number): string {
  const cp = text.codePointAt(at)!;
  if (cp < 0x21 || (cp >= 0x7f && cp <= 0xa0) || (cp >= 0xd800 && cp <= 0xdfff) || /\p{White_Space}|\p{Cf}/u.test(String.fromCodePoint(cp))) {
    return codePoint(cp);
  }
  const ch = String.fromCodePoint(cp);
  return ch === "'" ? `"'"` : `'${ch}'`;
}
