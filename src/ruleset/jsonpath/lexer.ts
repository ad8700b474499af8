/** Tokenizer for RFC 9535 JSONPath queries. */

export type TokenKind =
  | '$' | '@' | '.' | '..' | '[' | ']' | ',' | ':' | '*' | '?' | '(' | ')' | '!'
  | '&&' | '||' | '==' | '!=' | '<' | '<=' | '>' | '>='
  | 'string' | 'number' | 'name' | 'eof';

export interface Token {
  kind: TokenKind;
  /** 0-based offset of the first character. */
  pos: number;
  /** Whether blank space (RFC 9535 `B`) precedes the token: the grammar forbids it in some places. */
  spaceBefore: boolean;
  /** Source text for numbers and names, decoded text for strings. */
  text: string;
}

export class JsonPathSyntaxError extends Error {
  constructor(
    message: string,
    readonly pos: number,
  ) {
    super(message);
    this.name = 'JsonPathSyntaxError';
  }
}

/** How a token is named in error messages. */
export function describe(token: Token): string {
  if (token.kind === 'eof') return 'end of query';
  if (token.kind === 'string') return `string ${JSON.stringify(token.text)}`;
  return `"${token.text}"`;
}

const PUNCTUATION = new Set(['$', '@', '[', ']', ',', ':', '*', '?', '(', ')']);
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', '/': '/', '\\': '\\' };

function isBlank(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r';
}

function isSurrogate(cp: number): boolean {
  return cp >= 0xd800 && cp <= 0xdfff;
}

/** RFC 9535 `name-first`: ALPHA / "_" / %x80-D7FF / %xE000-10FFFF. */
export function isNameFirst(cp: number): boolean {
  return (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a) || cp === 0x5f || (cp >= 0x80 && !isSurrogate(cp));
}

function isNameChar(cp: number): boolean {
  return isNameFirst(cp) || (cp >= 0x30 && cp <= 0x39);
}

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  for (;;) {
    const blankStart = i;
    while (isBlank(source[i])) i++;
    const spaceBefore = i > blankStart;
    const pos = i;
    const c = source[i];
    if (c === undefined) {
      tokens.push({ kind: 'eof', pos, spaceBefore, text: '' });
      return tokens;
    }
    const two = source.slice(i, i + 2);
    if (two === '..' || two === '&&' || two === '||' || two === '==' || two === '!=' || two === '<=' || two === '>=') {
      tokens.push({ kind: two, pos, spaceBefore, text: two });
      i += 2;
    } else if (PUNCTUATION.has(c) || c === '.' || c === '!' || c === '<' || c === '>') {
      tokens.push({ kind: c as TokenKind, pos, spaceBefore, text: c });
      i += 1;
    } else if (c === '"' || c === "'") {
      const { text, next } = readString(source, i);
      tokens.push({ kind: 'string', pos, spaceBefore, text });
      i = next;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(source);
      if (!m) throw new JsonPathSyntaxError('expected a digit after "-"', i + 1);
      tokens.push({ kind: 'number', pos, spaceBefore, text: m[0] });
      i += m[0].length;
    } else if (isNameFirst(source.codePointAt(i)!)) {
      let j = i;
      for (let cp = source.codePointAt(j); cp !== undefined && isNameChar(cp); cp = source.codePointAt(j)) {
        j += cp > 0xffff ? 2 : 1;
      }
      tokens.push({ kind: 'name', pos, spaceBefore, text: source.slice(i, j) });
      i = j;
    } else if (c === '=' || c === '&' || c === '|') {
      throw new JsonPathSyntaxError(`unexpected character "${c}" (did you mean "${c}${c}"?)`, i);
    } else {
      throw new JsonPathSyntaxError(`unexpected character ${JSON.stringify(c)}`, i);
    }
  }
}

/** Reads a string literal starting at the quote at `start` (RFC 9535 section 2.3.1.1). */
function readString(source: string, start: number): { text: string; next: number } {
  const quote = source[start]!;
  let out = '';
  let i = start + 1;
  for (;;) {
    const cp = source.codePointAt(i);
    if (cp === undefined) throw new JsonPathSyntaxError('unterminated string', start);
    const c = String.fromCodePoint(cp);
    if (c === quote) return { text: out, next: i + 1 };
    if (c === '\\') {
      const e = source[i + 1];
      if (e === quote) {
        out += quote;
        i += 2;
      } else if (e !== undefined && e in ESCAPES) {
        out += ESCAPES[e];
        i += 2;
      } else if (e === 'u') {
        const { text, next } = readUnicodeEscape(source, i);
        out += text;
        i = next;
      } else {
        throw new JsonPathSyntaxError(`invalid escape "\\${e ?? ''}" in string`, i);
      }
      continue;
    }
    if (cp < 0x20) throw new JsonPathSyntaxError(`control character U+${hex4(cp)} must be escaped in a string`, i);
    if (isSurrogate(cp)) throw new JsonPathSyntaxError('unpaired surrogate in string', i);
    out += c;
    i += c.length;
  }
}

function readHex4(source: string, at: number): number | undefined {
  const digits = source.slice(at, at + 4);
  return /^[0-9a-fA-F]{4}$/.test(digits) ? parseInt(digits, 16) : undefined;
}

/** `\uXXXX`, where a high surrogate must be followed by `\u` and a low surrogate. */
function readUnicodeEscape(source: string, i: number): { text: string; next: number } {
  const unit = readHex4(source, i + 2);
  if (unit === undefined) throw new JsonPathSyntaxError('"\\u" must be followed by four hex digits', i);
  if (unit >= 0xdc00 && unit <= 0xdfff) throw new JsonPathSyntaxError('unpaired low surrogate escape', i);
  if (unit < 0xd800 || unit > 0xdbff) return { text: String.fromCharCode(unit), next: i + 6 };
  const low = source.slice(i + 6, i + 8) === '\\u' ? readHex4(source, i + 8) : undefined;
  if (low === undefined || low < 0xdc00 || low > 0xdfff) {
    throw new JsonPathSyntaxError('high surrogate escape must be followed by a low surrogate escape', i);
  }
  return { text: String.fromCharCode(unit, low), next: i + 12 };
}

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, '0');
}
