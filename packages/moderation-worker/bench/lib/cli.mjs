// Command-line helpers the benchmark scripts share.

/** `value` as a whole number >= 1; throws naming the option otherwise. */
export function positiveInt(name, value) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`${name} must be a positive whole number (got "${value}")`);
  return n;
}

/** A progress logger to stderr, each line stamped `[tag HH:MM:SS]`. */
export function benchLog(tag) {
  return (message) => {
    process.stderr.write(`[${tag} ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
  };
}
