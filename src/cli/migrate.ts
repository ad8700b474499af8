import { parseEnv } from '../config/env.js';
import { migratePostgres } from '../store/backends/postgres.js';
import type { CliIo } from './usage.js';

/** `leadgate migrate`: applies the migrations to DATABASE_URL; 1 without one. */
export async function migrateCommand(io: CliIo): Promise<number> {
  const { DATABASE_URL } = parseEnv(io.env);
  if (!DATABASE_URL) {
    io.stderr.write('migrate needs DATABASE_URL (the embedded store migrates itself at start)\n');
    return 1;
  }
  await migratePostgres(DATABASE_URL);
  io.stdout.write('migrations applied\n');
  return 0;
}
