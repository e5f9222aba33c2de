import type { Logger } from 'pino';
import type { BreakerState, WorkerMetrics } from '../runtime/metrics.js';
import type { UnavailableReason } from './analyze-match.js';

/** The part of the risk client that reports breaker state. */
export interface BreakerEvents {
  readonly state: BreakerState;
  on(event: 'open' | 'halfOpen' | 'close', listener: () => void): unknown;
}

/** Watches the engine: one log line per breaker transition and per change of fault kind, never per job. */
export interface EngineWatch {
  /** Notes the fault (or `null` for success) of one call; logs only when it differs from the last one. */
  noteFault(reason: UnavailableReason | 'rejected' | null): void;
  /**
   * False while the last call this process made found the engine unavailable (true before the first
   * call; a rejected request is an answer).
   */
  answering(): boolean;
  /**
   * Calls `listener` when the engine may take work again: the breaker closes or turns half-open, or a
   * call succeeds after a fault. The recovery sweep wakes on it to bring parked matches back.
   */
  onRecovered(listener: () => void): void;
}

const TRANSITIONS = [
  ['open', 'open', 'warn', 'risk engine circuit opened; deferring matches until it recovers'],
  ['halfOpen', 'half_open', 'info', 'risk engine circuit half-open; probing'],
  ['close', 'closed', 'info', 'risk engine circuit closed; analysing matches again'],
] as const;

/** Subscribes to the client's breaker events and keeps metrics and logs in step. */
export function watchEngine(client: BreakerEvents, logger: Logger, metrics: WorkerMetrics): EngineWatch {
  metrics.setBreakerState(client.state);
  const recovered: Array<() => void> = [];
  const notifyRecovered = () => {
    for (const listener of recovered) listener();
  };
  for (const [event, state, level, message] of TRANSITIONS) {
    client.on(event, () => {
      metrics.setBreakerState(state);
      metrics.breakerTransitions.inc({ to: state });
      logger[level]({ breaker: state }, message);
      if (event !== 'open') notifyRecovered();
    });
  }
  let lastFault: string | null = null;
  return {
    // A rejected request is the engine answering; only an unavailable one is a fault here.
    answering: () => lastFault === null || lastFault === 'rejected',
    onRecovered(listener) {
      recovered.push(listener);
    },
    noteFault(reason) {
      // An open breaker is the consequence of a fault, not a new one: it must not reset the latch.
      if (reason === lastFault || reason === 'breaker_open') return;
      const previous = lastFault;
      lastFault = reason;
      if (reason === null) notifyRecovered();
      if (reason === 'unauthorized') {
        logger.error({ reason }, 'risk engine refused our token (401/403); check RISK_ENGINE_TOKEN');
      } else if (reason === null && previous !== null) {
        logger.info({ previous }, 'risk engine answering again');
      } else if (reason !== null) {
        logger.debug({ reason, previous }, 'risk engine fault changed');
      }
    },
  };
}
