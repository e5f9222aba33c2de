import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createProcessRegistry, createWorkerMetrics, MAX_DETECTOR_KEY_LABELS } from './metrics.js';

/** `name{labels} value` lines of a registry, comments left out. */
async function samples(registry: Registry): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

describe('the worker metrics', () => {
  it('exports every series dashboards and alerts read at zero from the start', async () => {
    const registry = new Registry();
    createWorkerMetrics(registry);
    const lines = await samples(registry);
    for (const expected of [
      'moderation_analysis_jobs_total{outcome="analyzed"} 0',
      'moderation_analysis_jobs_total{outcome="error"} 0',
      'moderation_analysis_jobs_failed_total{reason="rejected"} 0',
      'moderation_analysis_jobs_failed_total{reason="abandoned"} 0',
      'moderation_analysis_jobs_failed_total{reason="invalid"} 0',
      'moderation_analysis_jobs_failed_total{reason="retries_exhausted"} 0',
      'moderation_risk_engine_calls_total{status="unavailable",reason="timeout"} 0',
      'moderation_risk_engine_request_duration_seconds_count{outcome="ok"} 0',
      'moderation_risk_engine_request_duration_seconds_count{outcome="rejected"} 0',
      'moderation_risk_engine_request_duration_seconds_count{outcome="breaker_open"} 0',
      'moderation_risk_engine_request_duration_seconds_count{outcome="invalid_response"} 0',
      'moderation_risk_engine_request_duration_seconds_bucket{le="0.75",outcome="timeout"} 0',
      'moderation_risk_engine_breaker_state{state="open"} 0',
      'moderation_risk_engine_breaker_transitions_total{to="open"} 0',
      'moderation_abandoned_matches_total{reason="http_5xx"} 0',
      'moderation_signals_stored_total{detector_key="other",severity="critical"} 0',
      'moderation_signals_stored_total{detector_key="other",severity="low"} 0',
      'moderation_discovery_matches_total{outcome="queued"} 0',
      'moderation_discovery_passes_total{outcome="failed"} 0',
      'moderation_discovery_lag_seconds 0',
      'moderation_deferred_matches 0',
      'moderation_db_batch_size_count{statement="store"} 0',
      'moderation_worker_ready 0',
      'moderation_worker_dependency_up{dependency="redis"} 0',
      'moderation_worker_dependency_up{dependency="postgres"} 0',
      'moderation_worker_dependency_up{dependency="schema"} 0',
      // prom-client writes NaN as `Nan`, which Prometheus parses as NaN (case-insensitively).
      'moderation_redis_maxmemory_policy_ok Nan',
    ]) {
      expect(lines).toContain(expected);
    }
    expect(lines.filter((line) => line.startsWith('moderation_risk_engine_calls_total'))).not.toContainEqual(
      expect.stringContaining('status="disabled",reason="timeout"'),
    );
  });

  it('has no engine latency series for disabled calls, which send nothing', async () => {
    const registry = new Registry();
    createWorkerMetrics(registry);
    expect((await registry.metrics()).includes('outcome="disabled"')).toBe(false);
  });

  it('counts stored signals by detector key and severity, folding keys beyond the bound into other', async () => {
    const registry = new Registry();
    const metrics = createWorkerMetrics(registry);
    const keys = Array.from({ length: MAX_DETECTOR_KEY_LABELS + 3 }, (_, i) => `detector_${i}`);
    metrics.countStoredSignals(keys.map((detectorKey) => ({ detectorKey, severity: 'high', count: 2 })));
    metrics.countStoredSignals([
      { detectorKey: null, severity: 'low', count: 1 },
      { detectorKey: 'detector_0', severity: 'high', count: 1 },
    ]);
    const lines = await samples(registry);
    const stored = lines.filter((line) => line.startsWith('moderation_signals_stored_total'));
    expect(stored).toContain('moderation_signals_stored_total{detector_key="detector_0",severity="high"} 3');
    expect(stored).toContain(
      `moderation_signals_stored_total{detector_key="detector_${MAX_DETECTOR_KEY_LABELS - 1}",severity="high"} 2`,
    );
    expect(stored).not.toContainEqual(expect.stringContaining(`detector_${MAX_DETECTOR_KEY_LABELS}"`));
    expect(stored).toContain('moderation_signals_stored_total{detector_key="other",severity="high"} 6');
    expect(stored).toContain('moderation_signals_stored_total{detector_key="none",severity="low"} 1');
  });

  it('adds the default process and Node.js metrics to the process registry', async () => {
    const registry = createProcessRegistry();
    const text = await registry.metrics();
    for (const name of [
      'process_resident_memory_bytes',
      'process_cpu_seconds_total',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });
});
