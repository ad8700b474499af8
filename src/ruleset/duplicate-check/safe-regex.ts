/**
 * `op: regex` patterns: a subset checked at load time so that every match is time-bounded.
 *
 * The bound. V8's engine backtracks. Without backreferences, lookaround and nested quantifiers
 * (a repeated group containing a quantifier or an alternation, as in `(a+)+` or `(a|aa)+`), the
 * paths it can try for one start position are at most the product of the choices of each
 * quantifier (subject length + 1 for `*`, `+`, `{n,}`; 2 for `?`) and alternation (its branch
 * count), and an unanchored pattern is tried at every start position. That product grows
 * polynomially with the subject, so subjects are capped at SUBJECT_CAP characters and a pattern
 * whose product at that length exceeds WORK_BUDGET is refused. The budget admits one unbounded
 * repetition in an unanchored pattern, or two after `^`, with a few `?` or short alternations.
 * Measured on the development machine, the worst accepted patterns (`a+b`, `a+a?b`, `^a*a*b`)
 * take about 1 ms against 1,000 `a`s, while `a*a*b` (10^9) takes 0.2 s at 1,000 characters and
 * 3 minutes at 10,000: a cap alone bounds nothing useful.
 */

export const SUBJECT_CAP = 1_000;
export const MAX_PATTERN_LENGTH = 200;
const WORK_BUDGET = 4_000_000;
const CHOICES = SUBJECT_CAP + 1;

export type SafeRegexResult = { ok: true; regex: RegExp } | { ok: false; message: string };

/** Compiles `pattern` case-insensitively if it is in the safe subset. */
export function compileSafeRegex(pattern: string): SafeRegexResult {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return { ok: false, message: `regex is longer than ${MAX_PATTERN_LENGTH} characters` };
  }
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, 'iu');
  } catch (error) {
    const reason = (error as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    return { ok: false, message: `invalid regex: ${reason}` };
  }
  try {
    const work = new Analyzer(pattern).analyze();
    if (work > WORK_BUDGET) {
      return {
        ok: false,
        message:
          'regex could backtrack too much: anchor it with ^, drop leading or trailing .*, ' +
          'or use fewer *, + and {n,} repetitions',
      };
    }
  } catch (error) {
    if (error instanceof UnsafeRegexError) return { ok: false, message: error.message };
    throw error;
  }
  return { ok: true, regex };
}

class UnsafeRegexError extends Error {}

interface Part {
  /** Upper bound of the paths through this part for one start position. */
  work: number;
  /** Contains a variable quantifier or an alternation. */
  variable: boolean;
}

/** Walks a pattern that `new RegExp(pattern, 'u')` accepted, so the syntax is known valid. */
class Analyzer {
  private i = 0;

  constructor(private readonly p: string) {}

  analyze(): number {
    const branches = this.branches();
    // Each top-level branch is tried at every start position unless it begins with ^.
    return branches.reduce((sum, b) => sum + (b.anchored ? 1 : CHOICES) * b.work, 0);
  }

  private branches(): (Part & { anchored: boolean })[] {
    const out = [this.sequence()];
    while (this.p[this.i] === '|') {
      this.i++;
      out.push(this.sequence());
    }
    return out;
  }

  private sequence(): Part & { anchored: boolean } {
    const anchored = this.p[this.i] === '^';
    let work = 1;
    let variable = false;
    while (this.i < this.p.length && this.p[this.i] !== '|' && this.p[this.i] !== ')') {
      const part = this.quantified(this.atom());
      work *= part.work;
      variable ||= part.variable;
    }
    return { work, variable, anchored };
  }

  private atom(): Part {
    const c = this.p[this.i]!;
    if (c === '(') return this.group();
    if (c === '[') this.skipClass();
    else if (c === '\\') this.skipEscape();
    else this.i++;
    return { work: 1, variable: false };
  }

  private group(): Part {
    const rest = this.p.slice(this.i, this.i + 4);
    if (/^\(\?<?[=!]/.test(rest)) throw new UnsafeRegexError('regex lookahead and lookbehind are not supported');
    if (rest.startsWith('(?<')) this.i = this.p.indexOf('>', this.i) + 1;
    else if (rest.startsWith('(?:')) this.i += 3;
    else if (rest.startsWith('(?')) throw new UnsafeRegexError(`regex group "${rest}" is not supported`);
    else this.i++;
    const branches = this.branches();
    this.i++; // ')'
    return {
      work: branches.reduce((sum, b) => sum + b.work, 0),
      variable: branches.length > 1 || branches.some((b) => b.variable),
    };
  }

  private skipClass(): void {
    this.i++;
    while (this.p[this.i] !== ']') {
      if (this.p[this.i] === '\\') this.skipEscape();
      else this.i++;
    }
    this.i++;
  }

  private skipEscape(): void {
    const e = this.p[this.i + 1]!;
    if (/[1-9]/.test(e) || e === 'k') throw new UnsafeRegexError('regex backreferences (\\1, \\k<name>) are not supported');
    if ((e === 'p' || e === 'P' || e === 'u') && this.p[this.i + 2] === '{') this.i = this.p.indexOf('}', this.i) + 1;
    else this.i += 2;
  }

  private quantified(atom: Part): Part {
    const q = /^(?:[*+?]|\{(\d+)(,(\d*))?\})\??/.exec(this.p.slice(this.i));
    if (!q) return atom;
    this.i += q[0].length;
    const [min, max] = bounds(q);
    if (min === max) return { work: atom.work ** min, variable: atom.variable };
    if (max > 1 && atom.variable) {
      throw new UnsafeRegexError(
        'regex has a nested quantifier: a repeated group may not contain *, +, ?, {n,m} or | (it can take exponential time)',
      );
    }
    const choices = Math.min(max, SUBJECT_CAP) - Math.min(min, SUBJECT_CAP) + 1;
    return { work: max <= 1 ? atom.work + 1 : choices, variable: true };
  }
}

function bounds(q: RegExpExecArray): [number, number] {
  const c = q[0][0];
  if (c === '*') return [0, Infinity];
  if (c === '+') return [1, Infinity];
  if (c === '?') return [0, 1];
  const min = Number(q[1]);
  if (q[2] === undefined) return [min, min];
  return [min, q[3] ? Number(q[3]) : Infinity];
}
