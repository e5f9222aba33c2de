#!/usr/bin/env node
// Process wiring only: environment -> engine, JSON log lines on stdout, SIGTERM/SIGINT -> exit 0.
// What ends the process early goes to stderr as one line, `fake-risk-engine: <what went wrong>`,
// the same form as the worker's `moderation-worker <command>: ...`.
import { processConfigFromEnv } from './config.js';
import { DETECTOR_VERSION } from './detectors/index.js';
import { FAKE_ENGINE_VERSION } from './package-version.js';
import { startFakeRiskEngine } from './server.js';

const USAGE = `Usage: fake-risk-engine [--version] [--help]

A real HTTP fake of the GeoDuels risk engine, configured by the environment (PORT,
FAKE_RISK_ENGINE_ADDR, FAKE_RISK_ENGINE_TOKEN, FAKE_RISK_ENGINE_CONTROL, FAKE_RISK_ENGINE_LOG_REQUESTS,
FAKE_RISK_ENGINE_DETECTORS, FAKE_RISK_ENGINE_RECORD_LIMIT). Logs JSON lines to stdout; exits 0 on
SIGTERM/SIGINT, 1 when it cannot listen, 2 on a bad argument or variable.
`;

const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

function log(level: 'info' | 'error', msg: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
}

/** Ends the process with `fake-risk-engine: <message>` on stderr. */
function exitWith(code: number, message: string, usage = false): never {
  process.stderr.write(`fake-risk-engine: ${message}\n${usage ? `\n${USAGE}` : ''}`);
  process.exit(code);
}

const [argument] = process.argv.slice(2);
if (argument === '--version' || argument === '-V') {
  process.stdout.write(`${FAKE_ENGINE_VERSION}\n`);
  process.exit(EXIT.ok);
}
if (argument === '--help' || argument === '-h') {
  process.stdout.write(USAGE);
  process.exit(EXIT.ok);
}
if (argument !== undefined) exitWith(EXIT.usage, `unknown argument "${argument}"`, true);

const parsed = processConfigFromEnv(process.env);
if (!parsed.ok) exitWith(EXIT.usage, `invalid configuration: ${parsed.variable}: ${parsed.detail}`);
const config = parsed.config;
const host = config.host ?? '0.0.0.0';

try {
  const engine = await startFakeRiskEngine({
    port: config.port,
    host,
    token: config.token,
    detectors: config.detectors,
    control: config.control,
    record: config.recordLimit > 0,
    recordLimit: config.recordLimit,
    onResponse: config.logRequests ? (entry) => log('info', 'request', { ...entry }) : undefined,
  });
  log('info', 'listening', {
    host,
    port: engine.port,
    url: engine.url,
    version: FAKE_ENGINE_VERSION,
    detectorVersion: DETECTOR_VERSION,
    detectors: config.detectors.map((d) => d.name),
    auth: config.token !== null,
    control: config.control,
  });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log('info', 'stopping', { signal });
    engine.stop().then(
      () => {
        log('info', 'stopped');
        process.exit(EXIT.ok);
      },
      (err: unknown) => exitWith(EXIT.failure, `stop failed: ${describe(err)}`),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
} catch (err) {
  exitWith(EXIT.failure, `cannot listen on ${host}:${config.port}: ${describe(err)}`);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
