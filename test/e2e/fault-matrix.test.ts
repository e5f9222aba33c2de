// The fault matrix of docs/architecture.md ("Fault matrix"), one isolated world per test
// (database, queue prefix, fake engine, webhook receiver, worker processes). Vitest runs test files one after another on a 2-core
// machine, so the scenarios are gathered in this one file and run concurrently: most of their
// time is spent waiting on the worker's own clocks (deferral backoff, breaker reset, stalled-job
// detection), which overlaps well. The groups live in ./matrix/ (not collected on their own).
import { stopAllProcesses } from '@geoduels/test-support';
import { afterAll, describe, vi } from 'vitest';
import { engineOutageTests } from './matrix/engine-outage.js';
import { engineResponseTests } from './matrix/engine-responses.js';
import { lifecycleTests } from './matrix/lifecycle.js';
import { loadTests } from './matrix/load.js';
import { notificationTests } from './matrix/notifications.js';
import { replicaTests } from './matrix/replicas.js';
import { restartTests } from './matrix/restarts.js';

// Enough to overlap the long waits, few enough that world start-ups do not starve 2 cores.
vi.setConfig({ maxConcurrency: 6 });

// Each test stops its own processes; this only catches what a crashed test left behind.
afterAll(stopAllProcesses);

describe.concurrent('fault matrix', () => {
  // Longest first: the load run is CPU-bound, SIGKILL mostly waits for BullMQ's stalled-job check.
  loadTests();
  lifecycleTests();
  replicaTests();
  engineOutageTests();
  engineResponseTests();
  restartTests();
  notificationTests();
});
