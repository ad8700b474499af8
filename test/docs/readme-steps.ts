/**
 * The README as a script: its ```sh blocks, in order, as a user pastes them into one shell.
 *
 * - `#> text` lines are the answer the commands above them print (since the previous `#>` group);
 *   the README test compares them with what a fresh server answers.
 * - A line `[VAR=value ...] npm start` (re)starts the server with those variables, keeping its data.
 * - A block right after `<!-- readme-test: skip -->` is not run (installing, deploying).
 */
export type ReadmeStep =
  | { kind: 'shell'; line: number; script: string; expectations: Expectation[] }
  | { kind: 'start'; line: number; env: Record<string, string> };

export interface Expectation {
  /** marker id printed where the group stood */
  id: number;
  /** README line of the group's first line */
  line: number;
  lines: string[];
}

const FENCE_OPEN = /^```(?:sh|bash|shell)\s*$/;
const SKIP_MARK = '<!-- readme-test: skip -->';
const START = /^((?:[A-Z][A-Z0-9_]*=\S+\s+)*)npm start\s*(?:#.*)?$/;
const EXPECT = /^#>(?: (.*))?$/;

export function readmeSteps(readme: string): ReadmeStep[] {
  const lines = readme.split('\n');
  const steps: ReadmeStep[] = [];
  let nextId = 0;
  let shell: Extract<ReadmeStep, { kind: 'shell' }> | undefined;
  let scriptLines: string[] = [];
  let inBlock = false;
  let skipBlock = false;
  let previousText = '';

  const flush = () => {
    if (shell && (scriptLines.some((l) => l.trim() !== '') || shell.expectations.length > 0)) {
      shell.script = scriptLines.join('\n');
      steps.push(shell);
    }
    shell = undefined;
    scriptLines = [];
  };

  lines.forEach((text, index) => {
    const line = index + 1;
    if (!inBlock) {
      if (FENCE_OPEN.test(text)) {
        inBlock = true;
        skipBlock = previousText.trim() === SKIP_MARK;
      }
      if (text.trim() !== '') previousText = text;
      return;
    }
    if (text.startsWith('```')) {
      inBlock = false;
      flush();
      previousText = text;
      return;
    }
    if (skipBlock) return;
    const start = START.exec(text);
    if (start) {
      flush();
      steps.push({ kind: 'start', line, env: parseAssignments(start[1] ?? '') });
      return;
    }
    shell ??= { kind: 'shell', line, script: '', expectations: [] };
    const expect = EXPECT.exec(text);
    if (!expect) {
      scriptLines.push(text);
      return;
    }
    const last = shell.expectations.at(-1);
    if (last && EXPECT.test(lines[index - 1] ?? '')) {
      last.lines.push(expect[1] ?? '');
      return;
    }
    const id = nextId++;
    shell.expectations.push({ id, line, lines: [expect[1] ?? ''] });
    scriptLines.push(`__expect ${id}`);
  });
  return steps;
}

function parseAssignments(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of text.trim().split(/\s+/).filter(Boolean)) {
    const at = pair.indexOf('=');
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
}
