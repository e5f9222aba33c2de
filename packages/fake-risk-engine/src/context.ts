import type { AuthFailure } from './auth.js';
import type { Detector } from './detectors/index.js';
import type { FaultQueue, FaultSpec } from './faults/faults.js';
import type { RequestRecorder } from './recorder.js';

/** One answered request, for an optional access log (the library itself never logs). */
export interface ResponseLogEntry {
  method: string;
  path: string;
  status: number;
  durationMs: number;
}

/** What the request handlers share with the running engine. */
export interface EngineContext {
  readonly detectors: readonly Detector[];
  /** `null` when no token is configured. */
  readonly checkAuth: ((authorization: string | undefined) => AuthFailure | null) | null;
  readonly faults: FaultQueue;
  readonly recorder: RequestRecorder;
  readonly control: boolean;
  readonly onResponse: ((entry: ResponseLogEntry) => void) | undefined;
  /** Waits `ms`; pending waits are dropped when the engine goes down or stops. */
  sleep(ms: number): Promise<void>;
  /** Switches a fault on (a `down` fault takes the engine down at once). */
  setFault(fault: FaultSpec): void;
  /** Clears faults and recorded requests. */
  reset(): void;
}
