import { CommanderError, type Command } from 'commander';

/** Exit code of a usage error (unknown option or command, missing or bad argument), by convention 2. */
export const USAGE_EXIT = 2;

/** Where a command writes and which environment it reads: the process's, or a test's. */
export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  env: Record<string, string | undefined>;
}

export const processIo = (): CliIo => ({ stdout: process.stdout, stderr: process.stderr, env: process.env });

/** The name a user types for `command`, e.g. `leadgate rules check`. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Applies the CLI's conventions to `command` and every subcommand: output to `io`, -h and --help,
 * a one-line hint after an error instead of the whole help, and a thrown CommanderError instead
 * of process.exit, with commander's exit code 1 for usage errors turned into 2 (help and
 * --version keep 0). Walks the tree because addCommand does not pass these settings down.
 */
export function applyConventions(command: Command, io: CliIo): Command {
  command
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      getOutHelpWidth: () => (io.stdout.isTTY ? io.stdout.columns : 80),
      getErrHelpWidth: () => (io.stderr.isTTY ? io.stderr.columns : 80),
    })
    .helpOption('-h, --help', 'show this help')
    .showHelpAfterError(`(${commandPath(command)} --help shows the usage)`)
    .exitOverride((error) => {
      throw error.exitCode === 0 ? error : new CommanderError(USAGE_EXIT, error.code, error.message);
    });
  if (command.commands.length > 0) command.helpCommand('help [command]', 'show the help of a command');
  for (const sub of command.commands) applyConventions(sub, io);
  return command;
}
