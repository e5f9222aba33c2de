// Test-only, for `node --import <this file>`: appends the URL of every module the process loads to
// the file named by LOADED_MODULES_FILE: ES modules as the loader loads them, and at exit every
// CommonJS module in the require cache (modules required from CommonJS never reach the loader).
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';

/** @type {string | undefined} */
let file;

if (isMainThread) {
  file = process.env.LOADED_MODULES_FILE;
  if (!file) throw new Error('LOADED_MODULES_FILE: is required by record-loaded-modules.mjs');
  register(import.meta.url, import.meta.url, { data: { file } });
  const cache = createRequire(import.meta.url).cache;
  process.on('exit', () => {
    const urls = Object.keys(cache).map((path) => pathToFileURL(path).href);
    appendFileSync(/** @type {string} */ (file), urls.map((url) => `${url}\n`).join(''));
  });
}

/** Loader hook: receives the file name from register(). */
export function initialize(/** @type {{ file: string }} */ data) {
  file = data.file;
}

/** Loader hook: records each module as it loads. */
export async function load(
  /** @type {string} */ url,
  /** @type {unknown} */ context,
  /** @type {Function} */ next,
) {
  appendFileSync(/** @type {string} */ (file), `${url}\n`);
  return next(url, context);
}
