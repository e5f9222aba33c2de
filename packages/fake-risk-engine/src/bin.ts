#!/usr/bin/env node
// Process wiring only: environment -> engine, JSON log lines on stdout, SIGTERM/SIGINT -> exit 0.
import { processConfigFromEnv } from './config.js';
import { DETECTOR_VERSION } from './detectors/index.js';
import { startFakeRiskEngine } from './server.js';

function log(level: 'info' | 'error', msg: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
}

const parsed = processConfigFromEnv(process.env);
if (!parsed.ok) {
  log('error', 'invalid configuration', { variable: parsed.variable, detail: parsed.detail });
  process.exit(2);
}
const config = parsed.config;

try {
  const engine = await startFakeRiskEngine({
    port: config.port,
    host: config.host ?? '0.0.0.0',
    token: config.token,
    detectors: config.detectors,
    control: config.control,
    record: config.recordLimit > 0,
    recordLimit: config.recordLimit,
    onResponse: config.logRequests ? (entry) => log('info', 'request', { ...entry }) : undefined,
  });
  log('info', 'listening', {
    host: config.host ?? '0.0.0.0',
    port: engine.port,
    url: engine.url,
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
        process.exit(0);
      },
      (err: unknown) => {
        log('error', 'stop failed', { error: String(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
} catch (err) {
  log('error', 'cannot listen', {
    port: config.port,
    error: err instanceof Error ? err.message : String(err),
  });
  process.exit(1);
}
