import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One fenced code block of a Markdown file: its info string's language and its text. */
export interface CodeBlock {
  lang: string;
  text: string;
  /** the block's first line, which the integration docs use to name the file it shows */
  firstLine: string;
}

export function readDoc(relativeToRepo: string): string {
  return readFileSync(fileURLToPath(new URL(`../../${relativeToRepo}`, import.meta.url)), 'utf8');
}

/** Every ``` fenced block, in order (the docs use no ~~~ fences and no nested fences). */
export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  for (const match of markdown.matchAll(/^```([^\n`]*)\n([\s\S]*?)^```[ \t]*$/gm)) {
    const text = match[2]!;
    blocks.push({ lang: match[1]!.trim().split(/\s+/)[0] ?? '', text, firstLine: text.split('\n')[0] ?? '' });
  }
  return blocks;
}

/** The blocks of a language whose first line starts with `prefix`; at least one must exist. */
export function blocksNamed(markdown: string, lang: string, prefix: string): CodeBlock[] {
  const found = codeBlocks(markdown).filter((b) => b.lang === lang && b.firstLine.startsWith(prefix));
  if (found.length === 0) throw new Error(`no ${lang} block starting with ${JSON.stringify(prefix)}`);
  return found;
}

/** The text after the last `<comment>` line of a block: the output the doc shows for it. */
export function shownOutput(block: CodeBlock, comment: '#' | '//'): string {
  const lines = block.text.trimEnd().split('\n');
  const last = lines[lines.length - 1]!.trim();
  if (!last.startsWith(`${comment} `)) throw new Error(`the block ${JSON.stringify(block.firstLine)} shows no output line`);
  return last.slice(comment.length + 1);
}

/** The rows of every Markdown table whose header row starts with `firstHeader`, as cell arrays. */
export function tableRows(markdown: string, firstHeader: string): string[][] {
  const lines = markdown.split('\n');
  const rows: string[][] = [];
  lines.forEach((line, start) => {
    if (!line.startsWith(`| ${firstHeader} |`)) return;
    for (const row of lines.slice(start + 2)) {
      if (!row.startsWith('|')) break;
      rows.push(row.slice(1, -1).split('|').map((cell) => cell.trim()));
    }
  });
  if (rows.length === 0) throw new Error(`no table headed ${JSON.stringify(firstHeader)}`);
  return rows;
}

/** The text inside the first pair of backticks of a table cell. */
export function backticked(cell: string): string {
  const match = /`([^`]*)`/.exec(cell);
  if (!match) throw new Error(`no \`code\` in ${JSON.stringify(cell)}`);
  return match[1]!;
}
