import { createRiskClient, type RiskEngineConfig } from '@geoduels/risk-client';
import { describeEndpoint } from '../secret-redaction.js';
import { type CheckResult, failed, passed, skipped } from './check-result.js';

const NAME = 'risk engine /health/ready';

/** Asks the engine's readiness endpoint through the real client (token included); skipped when disabled. */
export async function checkRiskEngine(config: RiskEngineConfig): Promise<CheckResult> {
  if (!config.enabled || config.url === null) {
    return skipped(NAME, 'disabled (RISK_ENGINE_URL unset): analyses complete as skipped');
  }
  const where = describeEndpoint(config.url);
  const client = createRiskClient(config);
  try {
    const health = await client.health();
    if (health.ok) return passed(NAME, `${where}: HTTP ${health.status}`);
    if (health.status !== undefined) return failed(NAME, `${where}: HTTP ${health.status}`);
    const reason = health.reason ?? 'unavailable';
    return failed(
      NAME,
      `${where}: ${reason === 'timeout' ? `no answer within ${config.timeoutMs} ms` : reason}`,
    );
  } finally {
    await client.close();
  }
}
