// Paths shared by the infra tests.
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root (the Docker build context). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
