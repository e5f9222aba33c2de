import { fileURLToPath } from 'node:url';
import type { FaultSpec } from '@geoduels/fake-risk-engine';
import { messageIncludes } from './logs.js';
import { type ManagedProcess, spawnManaged } from './processes.js';

/** The built fake engine bin, run with the current node. */
export const FAKE_ENGINE_BIN = fileURLToPath(
  new URL('../../packages/fake-risk-engine/dist/bin.js', import.meta.url),
);

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

/** Starts `fake-risk-engine` on a free port with the control endpoint on and the given token. */
export async function startFakeEngineProcess(token: string): Promise<FakeEngineProcess> {
  const child = spawnManaged({
    name: 'fake-risk-engine',
    command: process.execPath,
    args: [FAKE_ENGINE_BIN],
    env: {
      PATH: process.env.PATH,
      // Port 0, read back from the "listening" line: no race for a free port.
      FAKE_RISK_ENGINE_ADDR: '127.0.0.1:0',
      FAKE_RISK_ENGINE_CONTROL: '1',
      FAKE_RISK_ENGINE_TOKEN: token,
      // Keep only the count: the load test compares against the deterministic detectors instead.
      FAKE_RISK_ENGINE_RECORD_LIMIT: '0',
    },
  });
  const listening = await child.logs.waitFor(messageIncludes('listening'), 'fake engine listening', 15_000);
  const url = `http://127.0.0.1:${Number(listening.port)}`;
  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}/__control/${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
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
