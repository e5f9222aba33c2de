import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { createBearerCheck } from './auth.js';
import type { EngineContext, ResponseLogEntry } from './context.js';
import { DEFAULT_DETECTORS, DETECTOR_VERSION, type Detector } from './detectors/index.js';
import { FaultQueue, type FaultSpec } from './faults/faults.js';
import { DEFAULT_RECORD_LIMIT, type RecordedRequest, RequestRecorder } from './recorder.js';
import { createRequestListener } from './router.js';

/** How to start a fake engine; every field is optional. */
export interface FakeRiskEngineOptions {
  /** TCP port; 0 (the default) picks a free one, kept across `down()`/`up()`. */
  port?: number;
  /** Interface to listen on; default `127.0.0.1`. */
  host?: string;
  /** Bearer token required on `/v1/*` (and `/__control/*`); unset or null = no auth. */
  token?: string | null;
  /** Detectors to run, in order; default `DEFAULT_DETECTORS`. */
  detectors?: readonly Detector[];
  /** Faults active from the start, as if passed to `setFault` in order. */
  faults?: readonly FaultSpec[];
  /** Keep received requests for `requests()` (default true); false keeps only the count (benchmarks). */
  record?: boolean;
  /** How many requests `requests()` keeps, newest last; default 10,000. */
  recordLimit?: number;
  /** Serve the `/__control/*` endpoints (default false). */
  control?: boolean;
  /** Called once per answered request; the library itself never logs. */
  onResponse?: (entry: ResponseLogEntry) => void;
}

/** A running fake engine. */
export interface FakeRiskEngine {
  /** Base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  readonly detectorVersion: string;
  /** False between `down()` and `up()`, and after `stop()`. */
  readonly isUp: boolean;
  /** Switches a fault on for `times` requests or until cleared; `down` acts at once. */
  setFault(fault: FaultSpec): void;
  /** Removes every fault (does not bring a downed engine back; use `up()`). */
  clearFaults(): void;
  /** The active faults, first to act first, with remaining counts. */
  faults(): FaultSpec[];
  /** Recorded `POST /v1/analyze` requests, oldest first (empty when recording is off). */
  requests(): RecordedRequest[];
  /** `POST /v1/analyze` requests received since the start or the last `reset()`, recorded or not. */
  requestCount(): number;
  /** Clears faults, recorded requests and the count. */
  reset(): void;
  /** Closes the listener and destroys every open socket: new connections are refused. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  /** Stops for good: closes everything and drops pending timers. */
  stop(): Promise<void>;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** Starts a fake risk engine (contract v1) and resolves once it is listening. */
export async function startFakeRiskEngine(options: FakeRiskEngineOptions = {}): Promise<FakeRiskEngine> {
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const faults = new FaultQueue();
  const recorder = new RequestRecorder(
    options.record === false ? 0 : (options.recordLimit ?? DEFAULT_RECORD_LIMIT),
  );
  let state: 'up' | 'down' | 'stopped' = 'up';
  let closing: Promise<void> = Promise.resolve();

  const dropTimers = () => {
    for (const t of timers) clearTimeout(t);
    timers.clear();
  };
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const ctx: EngineContext = {
    detectors: options.detectors ?? DEFAULT_DETECTORS,
    checkAuth: options.token ? createBearerCheck(options.token) : null,
    faults,
    recorder,
    control: options.control ?? false,
    onResponse: options.onResponse,
    sleep: (ms) => new Promise((resolve) => later(ms, resolve)),
    setFault: (fault) => {
      if (fault.kind !== 'down') return faults.add(fault);
      void down().then(() => {
        if (fault.forMs !== undefined && state === 'down')
          later(fault.forMs, () => void up().catch(() => {}));
      });
    },
    reset: () => {
      faults.clear();
      recorder.clear();
    },
  };

  const server = createServer(createRequestListener(ctx));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // Undici's keep-alive default is 4 s; stay above it so the client, not the server, closes idle sockets.
  server.keepAliveTimeout = 10_000;
  const port = await listen(server, options.port ?? 0, host);

  async function down(): Promise<void> {
    if (state !== 'up') return;
    state = 'down';
    dropTimers();
    closing = closeAll();
    await closing;
  }

  function closeAll(): Promise<void> {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    return closed;
  }

  async function up(): Promise<void> {
    if (state !== 'down') return;
    await closing;
    await listen(server, port, host);
    state = 'up';
  }

  for (const fault of options.faults ?? []) ctx.setFault(fault);

  return {
    url: `http://${urlHost(host)}:${port}`,
    port,
    detectorVersion: DETECTOR_VERSION,
    get isUp() {
      return state === 'up';
    },
    setFault: ctx.setFault,
    clearFaults: () => faults.clear(),
    faults: () => faults.list(),
    requests: () => recorder.list(),
    requestCount: () => recorder.count,
    reset: ctx.reset,
    down,
    up,
    async stop() {
      if (state === 'stopped') return;
      const wasUp = state === 'up';
      state = 'stopped';
      dropTimers();
      if (wasUp) closing = closeAll();
      await closing;
    },
  };
}
