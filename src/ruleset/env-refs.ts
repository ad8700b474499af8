const ENV_REF = /\$\{([^}]*)\}/g;
const ENV_NAME = /^env:([A-Za-z_][A-Za-z0-9_]*)$/;

/**
 * Resolves `${env:NAME}` references in rule-file text. Every resolved value counts as a secret
 * (added to `secrets`); a missing or empty variable, or any other `${…}`, is reported via `fail`.
 */
export function envRefResolver(env: Record<string, string | undefined>, secrets: Set<string>, fail: (path: string, message: string) => void) {
  return (text: string, path: string): string =>
    text.replace(ENV_REF, (whole, inner: string) => {
      const name = ENV_NAME.exec(inner)?.[1];
      if (!name) {
        fail(path, `"${whole}" is not a supported reference; write \${env:NAME}`);
        return '';
      }
      const value = env[name];
      if (value === undefined || value === '') {
        fail(path, `environment variable ${name} is not set (referenced as \${env:${name}})`);
        return '';
      }
      secrets.add(value);
      return value;
    });
}

/** Header names that carry credentials (SPEC 3.2): their values must come from the environment. */
export const SECRET_HEADER_NAME = /auth|key|token|secret/i;

/**
 * A secret written into a rule file is a secret in every copy of the folder (repositories,
 * bundles, backups). Only a `demo: true` file, loaded only while the demo is on, may hold one.
 */
export function requireEnvRef(value: string, path: string, fail: (path: string, message: string) => void): void {
  // a malformed reference is the resolver's to report
  if (!value.includes('${')) {
    fail(path, 'a secret must come from the environment: write ${env:NAME} (a literal secret is allowed only in a file marked demo: true)');
  }
}
