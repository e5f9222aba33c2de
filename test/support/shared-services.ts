// The lead's per-test helpers for the shared CI PostgreSQL and Redis, re-exported so the e2e
// files name one path for them.
export {
  applyApiSchema,
  createTempDatabase,
  DB_DIR,
  PG_ADMIN_URL,
  REDIS_URL,
  type TempDatabase,
  uniquePrefix,
} from '../../packages/moderation-worker/src/test-support/services.js';
