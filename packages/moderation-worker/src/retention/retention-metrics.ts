import { Counter, type Registry } from 'prom-client';
import type { PrunedRows, PrunedTable } from './retention.js';

const TABLES: readonly PrunedTable[] = ['notifications', 'runs', 'reportQuotas'];

/** Registers `moderation_retention_deleted_total{table}` (every table at zero); returns the recorder. */
export function registerRetentionMetrics(registry: Registry): (pruned: PrunedRows) => void {
  const deleted = new Counter({
    name: 'moderation_retention_deleted_total',
    help: 'Rows the retention job deleted, by table: notifications (sent, own type), runs (finished), reportQuotas.',
    labelNames: ['table'] as const,
    registers: [registry],
  });
  for (const table of TABLES) deleted.inc({ table }, 0);
  return (pruned) => {
    for (const table of TABLES) if (pruned[table] > 0) deleted.inc({ table }, pruned[table]);
  };
}
