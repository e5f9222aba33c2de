// The version of this package, from its own package.json (one directory above both src/ and dist/).
import { readFileSync } from 'node:fs';

/** The `version` of @geoduels/moderation-worker's package.json, as `moderation-worker --version` prints it. */
export const WORKER_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
