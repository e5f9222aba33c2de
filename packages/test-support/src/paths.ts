// Where the sibling packages live. The same relative path works from src/ (tests) and dist/ (the
// benchmark and the demo), both one level below this package.
import { fileURLToPath } from 'node:url';

/** Absolute path of the worker package (`packages/moderation-worker/`, trailing slash). */
export const WORKER_PACKAGE_DIR = fileURLToPath(new URL('../../moderation-worker/', import.meta.url));

/** Absolute path of the fake engine package (`packages/fake-risk-engine/`, trailing slash). */
export const FAKE_ENGINE_PACKAGE_DIR = fileURLToPath(new URL('../../fake-risk-engine/', import.meta.url));
