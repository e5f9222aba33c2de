// The version of this package, from its own package.json (one directory above both src/ and dist/).
import { readFileSync } from 'node:fs';

/** The `version` of @geoduels/fake-risk-engine's package.json, as `fake-risk-engine --version` prints it. */
export const FAKE_ENGINE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
