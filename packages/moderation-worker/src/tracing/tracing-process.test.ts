// The built worker as a process of its own, its module loads recorded by a loader hook: with no
// OTLP endpoint it processes a job without loading any OpenTelemetry module; with one it exports
// the job's spans to an OTLP/HTTP collector (a stand-in on loopback), with the configured headers.
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { type FakeRiskEngine, startFakeRiskEngine } from '@geoduels/fake-risk-engine';
import {
  REDIS_URL,
  startWorker,
  stopAllProcesses,
  type TempDatabase,
  uniquePrefix,
  type WorkerEnv,
} from '@geoduels/test-support';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueRankedMatchPersisted, QUEUE_NAME } from '../analysis/job.js';
import type { Database } from '../db/pool.js';
import { createMigratedDatabase, eventually, seedMatch } from '../test-support/worker-harness.js';
import { SPAN } from './span-names.js';

const HOOK = fileURLToPath(new URL('../test-support/record-loaded-modules.mjs', import.meta.url));
const COLLECTOR_SECRET = 'collector-secret-4242';
// prom-client itself loads the OpenTelemetry API (a no-op facade until an SDK registers) for its
// exemplars, with or without tracing: every other OpenTelemetry package counts.
const OTEL_MODULE = /\/node_modules\/(@opentelemetry\/(?!api\/)|bullmq-otel\/)/;
// Of the worker's tracing code only the settings and the loader are static imports.
const STATIC_TRACING_MODULES = ['tracing-settings.js', 'tracing.js'];

let temp: TempDatabase;
let db: Database;
let engine: FakeRiskEngine;
let dir: string;
const prefix = uniquePrefix('trace-proc');

interface Export {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** An OTLP/HTTP collector stand-in: answers 200 to everything and keeps what it was sent. */
async function startCollector(): Promise<{ url: string; exports: Export[]; server: Server }> {
  const exports: Export[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      exports.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, exports, server };
}

async function enqueue(matchId: string): Promise<void> {
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUE_NAME, { connection, prefix });
  try {
    expect(await enqueueRankedMatchPersisted(queue, matchId, { prefix })).toMatchObject({ ok: true });
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

async function runStatus(matchId: string): Promise<string | undefined> {
  const result = await db.pool.query<{ status: string }>(
    'SELECT status FROM risk_analysis_runs WHERE match_id = $1',
    [matchId],
  );
  return result.rows[0]?.status;
}

/** Runs the worker until it analysed `matchId`, stops it; what it loaded and printed. */
async function analyseInProcess(
  matchId: string,
  label: string,
  extraEnv: WorkerEnv,
): Promise<{ modules: string[]; output: string }> {
  const modulesFile = join(dir, `${label}.txt`);
  const worker = await startWorker(
    {
      POSTGRES_URL: temp.url,
      REDIS_URL,
      MODERATION_QUEUE_PREFIX: prefix,
      MODERATION_DISCOVERY_ENABLED: 'false',
      RISK_ENGINE_URL: engine.url,
      LOADED_MODULES_FILE: modulesFile,
      ...extraEnv,
    },
    label,
    { nodeArgs: ['--import', HOOK] },
  );
  await worker.waitReady();
  await enqueue(matchId);
  await eventually(async () => ((await runStatus(matchId)) === 'analyzed' ? true : undefined));
  worker.signal('SIGTERM');
  expect((await worker.exited).code).toBe(0);
  return {
    modules: readFileSync(modulesFile, 'utf8').split('\n').filter(Boolean),
    output: worker.logs.text(),
  };
}

/** The worker's own tracing modules among `modules`, by file name, sorted, once each. */
function distTracingModules(modules: string[]): string[] {
  const names = modules
    .map((url) => /\/dist\/tracing\/([^/]+\.js)$/.exec(url)?.[1])
    .filter((name): name is string => name !== undefined);
  return [...new Set(names)].sort();
}

async function seed(matchId: string): Promise<void> {
  await seedMatch(db, matchId, [
    {
      userId: '93000000-0000-4000-8000-00000000000a',
      events: [[1, 4000, 2000, 0.5, '2026-02-28T10:00:00Z']],
    },
  ]);
}

beforeAll(async () => {
  ({ temp, db } = await createMigratedDatabase('trace_proc'));
  engine = await startFakeRiskEngine();
  dir = mkdtempSync(join(tmpdir(), 'worker-modules-'));
});

afterAll(async () => {
  await stopAllProcesses();
  const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUE_NAME, { connection, prefix });
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
  await engine?.stop();
  await db?.pool.end();
  await temp?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('tracing in the worker process', () => {
  it('loads no OpenTelemetry module when no OTLP endpoint is set', async () => {
    const matchId = '94000000-0000-4000-8000-000000000001';
    await seed(matchId);
    const { modules, output } = await analyseInProcess(matchId, 'tracing-off', {});
    // The recording saw the worker's whole graph: its entry, its flow, BullMQ, the risk client.
    for (const expected of [
      '/dist/cli.js',
      '/dist/main.js',
      '/dist/analysis/worker.js',
      '/node_modules/bullmq/',
    ]) {
      expect(modules.some((url) => url.includes(expected))).toBe(true);
    }
    expect(modules.filter((url) => OTEL_MODULE.test(url))).toEqual([]);
    expect(distTracingModules(modules)).toEqual(STATIC_TRACING_MODULES);
    expect(output).not.toContain('tracing to an OTLP endpoint');
  });

  it('exports the spans of a job to the OTLP endpoint, with the configured headers and service name', async () => {
    const matchId = '94000000-0000-4000-8000-000000000002';
    await seed(matchId);
    const collector = await startCollector();
    try {
      const { modules, output } = await analyseInProcess(matchId, 'tracing-on', {
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer ${COLLECTOR_SECRET}`,
        OTEL_SERVICE_NAME: 'risk-analysis-worker-under-test',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      });
      expect(modules.some((url) => url.includes('/node_modules/@opentelemetry/sdk-trace-node/'))).toBe(true);
      expect(modules.some((url) => url.includes('/node_modules/bullmq-otel/'))).toBe(true);
      expect(distTracingModules(modules)).toEqual(
        expect.arrayContaining([...STATIC_TRACING_MODULES, 'otel-tracing.js', 'traced-analyzer.js']),
      );

      expect(collector.exports.length).toBeGreaterThan(0);
      for (const sent of collector.exports) {
        expect(sent.path).toBe('/v1/traces');
        expect(sent.headers['content-type']).toBe('application/x-protobuf');
        expect(sent.headers.authorization).toBe(`Bearer ${COLLECTOR_SECRET}`);
      }
      // Protobuf keeps strings as they are: the span names and attributes can be found in the bytes.
      const bytes = Buffer.concat(collector.exports.map((sent) => sent.body)).toString('latin1');
      for (const expected of [
        `process ${QUEUE_NAME}`,
        SPAN.facts,
        SPAN.engine,
        SPAN.store,
        'risk-analysis-worker-under-test',
        `ranked-match-${matchId}.1`,
      ]) {
        expect(bytes).toContain(expected);
      }
      expect(output).toContain('tracing to an OTLP endpoint');
      expect(output).toContain(`"endpoint":"${new URL(collector.url).host}"`);
      expect(output).not.toContain(COLLECTOR_SECRET);
    } finally {
      collector.server.close();
    }
  });
});
