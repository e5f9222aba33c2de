// The fake risk engine as its own process (its `fake-risk-engine` bin), so its CPU is not the
// caller's and a caller can stop and start the engine independently of itself.
import type { FaultSpec } from '@geoduels/fake-risk-engine';
import { messageIncludes } from './log-capture.js';
import { FAKE_ENGINE_PACKAGE_DIR } from './paths.js';
import { type ManagedProcess, spawnManaged } from './processes.js';

/** The built fake engine bin, run with the current node. */
export const FAKE_ENGINE_BIN = `${FAKE_ENGINE_PACKAGE_DIR}dist/bin.js`;

/** The fake engine running as its own process, steered through its `/__control/*` endpoints. */
export interface FakeEngineProcess {
  readonly url: string;
  readonly process: ManagedProcess;
  /** Adds faults (POST /__control/faults); a `down` fault closes the control endpoint too until it ends. */
  addFaults(faults: FaultSpec[]): Promise<void>;
  /** Removes every fault. */
  clearFaults(): Promise<void>;
  /** The faults still active (a `times`-limited fault disappears once used up). */
  faults(): Promise<FaultSpec[]>;
  /** Requests received so far. */
  requestCount(): Promise<number>;
  stop(): Promise<void>;
}

/** Options of {@link startFakeEngineProcess}. */
export interface FakeEngineProcessOptions {
  /** The bearer token it requires (also on its control endpoint); none: it accepts every request. */
  token?: string;
  /** The loopback port to listen on (default 0: any free one, read back from its "listening" line). */
  port?: number;
}

/**
 * Starts `fake-risk-engine` with its control endpoint on and request recording off (only the count is
 * kept: callers compare against the deterministic detectors instead of recorded bodies).
 */
export async function startFakeEngineProcess(
  options: FakeEngineProcessOptions = {},
): Promise<FakeEngineProcess> {
  const { token } = options;
  const child = spawnManaged({
    name: 'fake-risk-engine',
    command: process.execPath,
    args: [FAKE_ENGINE_BIN],
    env: {
      PATH: process.env.PATH,
      FAKE_RISK_ENGINE_ADDR: `127.0.0.1:${options.port ?? 0}`,
      FAKE_RISK_ENGINE_CONTROL: '1',
      FAKE_RISK_ENGINE_TOKEN: token,
      FAKE_RISK_ENGINE_RECORD_LIMIT: '0',
    },
  });
  const listening = await Promise.race([
    child.logs.waitFor(messageIncludes('listening'), 'fake engine listening', 15_000),
    child.exited.then((exit) => {
      throw new Error(`fake engine exited before listening (${JSON.stringify(exit)}): ${child.logs.text()}`);
    }),
  ]);
  const url = `http://127.0.0.1:${Number(listening.port)}`;
  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}/__control/${path}`, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(token !== undefined && { authorization: `Bearer ${token}` }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });
    const json: unknown = await response.json();
    if (!response.ok)
      throw new Error(`control ${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json as Record<string, unknown>;
  };
  return {
    url,
    process: child,
    async addFaults(faults) {
      await control('POST', 'faults', faults);
    },
    async clearFaults() {
      await control('DELETE', 'faults');
    },
    async faults() {
      return (await control('GET', 'faults')).faults as FaultSpec[];
    },
    async requestCount() {
      return Number((await control('GET', 'requests')).count);
    },
    async stop() {
      await child.stop(5_000);
    },
  };
}
