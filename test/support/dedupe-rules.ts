import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASIC_RULES } from './test-app.js';

/** The long form of `dedupe` (SPEC 3.1) that the tests give template 1 (campaigns 10 and 11) of the basic rules. */
export const LONG_FORM = `dedupe:
      scope: campaign
      windowDays: 90
      on: [phone, email, [firstName, lastName, phone]]`;

/** A copy of the basic rules whose template 1 de-duplicates with `dedupe` (YAML, indented as a template key). */
export async function rulesWithDedupe(dedupe: string = LONG_FORM): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'leadgate-dedupe-rules-'));
  await cp(BASIC_RULES, dir, { recursive: true });
  const dialer = await readFile(join(dir, 'dialer.yaml'), 'utf8');
  await writeFile(join(dir, 'dialer.yaml'), dialer.replace('dedupe: campaign', dedupe));
  return dir;
}
