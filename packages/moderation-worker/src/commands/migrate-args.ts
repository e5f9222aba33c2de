/** One `moderation-worker migrate` invocation, parsed. */
export type MigrateArgs =
  | { action: 'up'; steps?: number }
  | { action: 'down'; steps: number }
  | { action: 'down'; all: true }
  | { action: 'status' }
  | { action: 'force'; version: number | null };

const COUNT = /^[1-9]\d*$/;
const VERSION = /^\d+$/;

/** Parses the arguments that follow `migrate`; an Error value is a usage error naming what was wrong. */
export function parseMigrateArgs(argv: string[]): MigrateArgs | Error {
  const [action, ...rest] = argv;
  switch (action) {
    case 'up':
      return parseUp(rest);
    case 'down':
      return parseDown(rest);
    case 'status':
      return rest.length === 0 ? { action } : unexpected('status', rest[0]);
    case 'force':
      return parseForce(rest);
    default:
      return new Error(`unknown migrate action "${action}" (expected up, down, status or force)`);
  }
}

function parseUp(rest: string[]): MigrateArgs | Error {
  const [arg, extra] = rest;
  if (arg === undefined) return { action: 'up' };
  if (arg === '--all' || arg === '-all') {
    return new Error(`up takes no "${arg}": without a count it already applies every pending migration`);
  }
  if (!COUNT.test(arg)) return new Error(`up: "${arg}" is not a positive whole number of migrations`);
  if (extra !== undefined) return unexpected('up', extra);
  const steps = Number(arg);
  return Number.isSafeInteger(steps) ? { action: 'up', steps } : new Error(`up: "${arg}" is too large`);
}

function parseDown(rest: string[]): MigrateArgs | Error {
  const all = rest.filter((arg) => arg === '--all');
  const others = rest.filter((arg) => arg !== '--all');
  if (all.length > 1) return new Error('down: "--all" given twice');
  if (all.length === 1) {
    if (others.length > 0) {
      return new Error(`down takes either --all or a count, not both (got "--all" and "${others[0]}")`);
    }
    return { action: 'down', all: true };
  }
  const [arg, extra] = others;
  if (arg === undefined) return { action: 'down', steps: 1 };
  if (!COUNT.test(arg)) {
    return new Error(
      `down: "${arg}" is not a positive whole number of migrations (use "down --all" to revert every migration)`,
    );
  }
  if (extra !== undefined) return unexpected('down', extra);
  const steps = Number(arg);
  return Number.isSafeInteger(steps) ? { action: 'down', steps } : new Error(`down: "${arg}" is too large`);
}

function parseForce(rest: string[]): MigrateArgs | Error {
  const [arg, extra] = rest;
  if (arg === undefined) return new Error('force needs a version: a whole number, or "none"');
  if (extra !== undefined) return unexpected('force', extra);
  if (arg === 'none') return { action: 'force', version: null };
  const version = Number(arg);
  if (!VERSION.test(arg) || !Number.isSafeInteger(version)) {
    return new Error(
      `force: "${arg}" is not a version (a whole number, or "none" for no version, which golang-migrate writes as -1)`,
    );
  }
  return { action: 'force', version };
}

function unexpected(action: string, arg: string | undefined): Error {
  return new Error(`${action}: unexpected argument "${arg}"`);
}
