// The worker's alerts, dashboard and scrape configuration, checked the way Prometheus, Grafana and
// kustomize will read them, and against the metrics a real worker process exports.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrateUp } from '@geoduels/moderation-worker';
import {
  createWorkerDatabase,
  deletePrefix,
  pollUntil,
  REDIS_URL,
  startWorker,
  type TempDatabase,
  uniquePrefix,
  type WorkerProcess,
} from '@geoduels/test-support';
import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IConfigMap, IService } from 'kubernetes-models/v1';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { type MetricSample, scrapeMetrics } from '../support/metrics.js';
import { findObject, type KubeObject, renderKustomization } from './support/kustomize.js';
import {
  describeSelector,
  metricNames,
  type Selector,
  selectors,
  selects,
  withoutGrafanaVariables,
} from './support/promql.js';
import {
  ALERT_TESTS_FILE,
  alertRules,
  PROMETHEUS_RULE_FILE,
  promtool,
  type RulesWorkspace,
  readRulesFile,
  rulesWorkspace,
} from './support/promtool.js';
import { REPO_ROOT } from './support/repo.js';

const DASHBOARD_FILE = 'infra/monitoring/dashboards/risk-analysis-worker.json';
const RUNBOOK = 'docs/deployment.md';
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template.
const DATASOURCE_VARIABLE = '${datasource}';

interface DashboardPanel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: { expr: string; datasource?: { uid: string } }[];
  panels?: DashboardPanel[];
}

interface Dashboard {
  uid: string;
  panels: DashboardPanel[];
  templating: { list: { name: string; type: string; query: string | { query: string } }[] };
}

const readRepoFile = (file: string) => readFile(path.join(REPO_ROOT, file), 'utf8');

async function readDashboard(): Promise<Dashboard> {
  return JSON.parse(await readRepoFile(DASHBOARD_FILE)) as Dashboard;
}

/** Every panel with queries, rows opened up. */
function queryPanels(dashboard: Dashboard): DashboardPanel[] {
  const all = dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
  return all.filter((panel) => panel.type !== 'row');
}

/** Every PromQL expression of the dashboard: its panels' queries and its variables' queries. */
function dashboardExpressions(dashboard: Dashboard): { where: string; expr: string }[] {
  const panels = queryPanels(dashboard).flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ where: `panel "${panel.title}"`, expr: target.expr })),
  );
  const variables = dashboard.templating.list
    .filter((variable) => variable.type === 'query')
    .map((variable) => {
      const query = typeof variable.query === 'string' ? variable.query : variable.query.query;
      // label_values(<selector>, <label>) reads the selector.
      const selector = /^label_values\((.+),\s*[a-zA-Z_]+\)$/.exec(query)?.[1] ?? query;
      return { where: `variable $${variable.name}`, expr: selector };
    });
  return [...panels, ...variables];
}

/** Every PromQL expression of the rules: their exprs and the queries their annotations run. */
async function ruleExpressions(): Promise<{ where: string; expr: string }[]> {
  const found: { where: string; expr: string }[] = [];
  for (const rule of alertRules(await readRulesFile())) {
    found.push({ where: `alert ${rule.alert}`, expr: rule.expr });
    for (const [key, text] of Object.entries(rule.annotations ?? {})) {
      // `printf "<query>" ... | query`: the queries templates run (other printf calls only format).
      for (const query of text.matchAll(/printf "((?:[^"\\]|\\.)*)"[^|}]*\|\s*query/g)) {
        found.push({
          where: `alert ${rule.alert} ${key}`,
          expr: query[1]!.replace(/\\"/g, '"').replaceAll('=%q', '=~".*"'),
        });
      }
    }
  }
  return found;
}

/** GitHub's anchors of a Markdown file's headings. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const heading of markdown.matchAll(/^#{1,6}\s+(.+)$/gm)) {
    anchors.add(
      heading[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    );
  }
  return anchors;
}

describe('the alerting rules', () => {
  let workspace: RulesWorkspace;
  beforeAll(async () => {
    workspace = await rulesWorkspace();
  });
  afterAll(async () => {
    await workspace?.remove();
  });

  it('fails with a clear message naming the install step, instead of skipping, when promtool is missing', async () => {
    await expect(promtool(['--version'], 'promtool-not-installed')).rejects.toThrow(
      /promtool-not-installed is not installed or not on PATH: .*apt-get install -y --no-install-recommends prometheus/,
    );
  });

  it(`pass promtool check rules (the spec of ${PROMETHEUS_RULE_FILE})`, async () => {
    const rules = alertRules(await readRulesFile());
    const checked = await promtool(['check', 'rules', workspace.rulesFile]);
    expect(checked.output).toContain(`SUCCESS: ${rules.length} rules found`);
    expect(checked.ok, checked.output).toBe(true);
  });

  it(`pass their promtool unit tests (${ALERT_TESTS_FILE})`, async () => {
    const tested = await promtool(['test', 'rules', workspace.testsFile]);
    expect(tested.output).toContain('SUCCESS');
    expect(tested.ok, tested.output).toBe(true);
  });

  it('are unit tested firing and not firing, every one of them', async () => {
    const tests = parse(await readRepoFile(ALERT_TESTS_FILE)) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts?: unknown[] }[] }[];
    };
    const cases = tests.tests.flatMap((test) => test.alert_rule_test);
    for (const rule of alertRules(await readRulesFile())) {
      const own = cases.filter((c) => c.alertname === rule.alert);
      expect(
        own.some((c) => (c.exp_alerts ?? []).length > 0),
        `${rule.alert} firing`,
      ).toBe(true);
      expect(
        own.some((c) => (c.exp_alerts ?? []).length === 0),
        `${rule.alert} not firing`,
      ).toBe(true);
    }
  });

  it(`carry a severity, a summary, a description and a runbook link to their own section of ${RUNBOOK}`, async () => {
    const anchors = headingAnchors(await readRepoFile(RUNBOOK));
    expect(anchors).toContain('watching-it');
    const rules = alertRules(await readRulesFile());
    expect(rules.map((r) => r.alert)).toEqual(expect.arrayContaining(['RiskAnalysisWorkerNotReady']));
    for (const rule of rules) {
      expect(rule.labels?.severity, rule.alert).toMatch(/^(warning|critical)$/);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
      const runbook = rule.annotations?.runbook_url ?? '';
      expect(runbook, rule.alert).toMatch(
        new RegExp(`^https://.+/${RUNBOOK.replace('.', '\\.')}#${rule.alert.toLowerCase()}$`),
      );
      expect(anchors, `${RUNBOOK} has a section for ${rule.alert}`).toContain(rule.alert.toLowerCase());
    }
  });
});

describe('infra/monitoring rendered by kustomize', () => {
  let objects: KubeObject[];
  beforeAll(async () => {
    objects = await renderKustomization('infra/monitoring');
  });

  it("ships the rules as a PrometheusRule and the dashboard as a ConfigMap for Grafana's sidecar", async () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/risk-analysis-worker-dashboard',
      'PrometheusRule/risk-analysis-worker',
    ]);
    const rule = findObject<KubeObject & { spec: unknown }>(
      objects,
      'PrometheusRule',
      'risk-analysis-worker',
    );
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(rule.spec).toEqual(await readRulesFile());
    const dashboard = findObject<IConfigMap>(objects, 'ConfigMap', 'risk-analysis-worker-dashboard');
    expect(dashboard.metadata?.labels).toMatchObject({ grafana_dashboard: '1' });
    expect(JSON.parse(dashboard.data!['risk-analysis-worker.json']!)).toEqual(await readDashboard());
    for (const object of objects) {
      expect(object.metadata.labels?.['app.kubernetes.io/part-of'], object.kind).toBe('geoduels');
    }
  });
});

describe('scraping', () => {
  let overlayDir: string;
  let objects: KubeObject[];
  beforeAll(async () => {
    // An overlay as an operator would write it: the base plus the optional component.
    overlayDir = await mkdtemp(path.join(tmpdir(), 'gd-servicemonitor-'));
    const toRepo = (dir: string) => path.relative(overlayDir, path.join(REPO_ROOT, dir));
    await writeFile(
      path.join(overlayDir, 'kustomization.yaml'),
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        'resources:',
        `  - ${toRepo('infra/k3s/base')}`,
        'components:',
        `  - ${toRepo('infra/monitoring/servicemonitor')}`,
        '',
      ].join('\n'),
    );
    objects = await renderKustomization(path.relative(REPO_ROOT, overlayDir));
  });
  afterAll(async () => {
    await rm(overlayDir, { recursive: true, force: true });
  });

  const prometheusAnnotations = (annotations: Record<string, string> | undefined) =>
    Object.keys(annotations ?? {}).filter((key) => key.startsWith('prometheus.io/'));

  it('is configured once in the base: on the pods, not on the Service', async () => {
    const base = await renderKustomization('infra/k3s/base');
    const deployment = findObject<IDeployment>(base, 'Deployment', 'risk-analysis-worker');
    const service = findObject<IService>(base, 'Service', 'risk-analysis-worker');
    expect(prometheusAnnotations(deployment.spec!.template.metadata!.annotations).sort()).toEqual([
      'prometheus.io/path',
      'prometheus.io/port',
      'prometheus.io/scrape',
    ]);
    expect(prometheusAnnotations(service.metadata!.annotations)).toEqual([]);
  });

  it("moves to a ServiceMonitor on the worker's Service with the component, which drops the pod annotations", () => {
    const deployment = findObject<IDeployment>(objects, 'Deployment', 'risk-analysis-worker');
    const service = findObject<IService>(objects, 'Service', 'risk-analysis-worker');
    const monitor = findObject<
      KubeObject & {
        spec: {
          selector: { matchLabels: Record<string, string> };
          endpoints: { port: string; path: string }[];
        };
      }
    >(objects, 'ServiceMonitor', 'risk-analysis-worker');
    expect(prometheusAnnotations(deployment.spec!.template.metadata!.annotations)).toEqual([]);
    expect(prometheusAnnotations(service.metadata!.annotations)).toEqual([]);
    expect(monitor.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(service.metadata!.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
    expect(service.spec!.ports!.map((p) => p.name)).toContain('http');
    expect(objects.filter((o) => o.kind === 'ServiceMonitor')).toHaveLength(1);
  });
});

describe('the dashboard', () => {
  it('queries the chosen Prometheus data source and namespace in every panel', async () => {
    const dashboard = await readDashboard();
    expect(dashboard.uid).toBe('risk-analysis-worker');
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'namespace']);
    const panels = queryPanels(dashboard);
    expect(panels.length).toBeGreaterThan(10);
    for (const panel of panels) {
      expect(panel.datasource?.uid, panel.title).toBe(DATASOURCE_VARIABLE);
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const { expr } of panel.targets ?? []) {
        // Every metric read through a selector that keeps to the chosen namespaces.
        const scoped = selectors(expr).filter((s) =>
          s.matchers.some((m) => m.label === 'namespace' && m.op === '=~' && m.value === '$namespace'),
        );
        for (const name of metricNames(expr)) {
          expect(
            scoped.map((s) => s.name),
            `${panel.title}: ${expr}`,
          ).toContain(name);
        }
      }
    }
  });

  it('shows the queue, the engine, signals, notifications, discovery and process memory', async () => {
    const used = new Set(dashboardExpressions(await readDashboard()).flatMap((e) => metricNames(e.expr)));
    for (const name of [
      'moderation_queue_jobs',
      'moderation_queue_oldest_waiting_job_age_seconds',
      'moderation_risk_engine_request_duration_seconds_count',
      'moderation_risk_engine_request_duration_seconds_bucket',
      'moderation_risk_engine_breaker_state',
      'moderation_signals_stored_total',
      'moderation_notifications_sent_total',
      'moderation_notifications_failed_total',
      'moderation_outbox_oldest_pending_seconds',
      'moderation_discovery_lag_seconds',
      'process_resident_memory_bytes',
    ]) {
      expect(used, name).toContain(name);
    }
  });
});

describe('a fresh worker process', () => {
  let database: TempDatabase;
  let worker: WorkerProcess;
  let samples: MetricSample[];
  const prefix = uniquePrefix('monitoring');

  beforeAll(async () => {
    database = await createWorkerDatabase('monitoring', { migrate: migrateUp });
    worker = await startWorker(
      {
        POSTGRES_URL: database.url,
        REDIS_URL,
        MODERATION_QUEUE_PREFIX: prefix,
        MODERATION_DISCOVERY_ENABLED: 'false',
      },
      'monitoring-worker',
    );
    await worker.waitReady();
    // The probe that made the worker ready exports readiness, then reads the Redis policy.
    samples = await pollUntil(
      async () => {
        const scraped = (await scrapeMetrics(`${worker.baseUrl}/metrics`)).samples;
        const policy = scraped.find((s) => s.name === 'moderation_redis_maxmemory_policy_ok')?.value;
        return policy !== undefined && !Number.isNaN(policy) ? scraped : undefined;
      },
      { description: 'the first probe exported', timeoutMs: 10_000 },
    );
  });
  afterAll(async () => {
    await worker?.stop();
    await database?.drop();
    await deletePrefix(REDIS_URL, prefix);
  });

  const exported = () => new Set(samples.map((s) => s.name));

  it('exports every metric an alert or a dashboard panel reads', async () => {
    const expressions = [...(await ruleExpressions()), ...dashboardExpressions(await readDashboard())];
    const names = exported();
    for (const { where, expr } of expressions) {
      const read = metricNames(withoutGrafanaVariables(expr));
      expect(read.length, `${where} reads a metric: ${expr}`).toBeGreaterThan(0);
      for (const name of read)
        expect(names.has(name), `${where} reads ${name}, which the worker does not export`).toBe(true);
    }
  });

  it('already has a series for every selector of the alerts and panels, before anything happened', async () => {
    const expressions = [...(await ruleExpressions()), ...dashboardExpressions(await readDashboard())];
    const missing: string[] = [];
    for (const { where, expr } of expressions) {
      for (const selector of selectors(withoutGrafanaVariables(expr)) as Selector[]) {
        if (!samples.some((sample) => selects(selector, sample)))
          missing.push(`${where}: ${describeSelector(selector)}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('exports every closed label set at zero (NaN where unknown) from start, and reports itself ready', () => {
    const value = (name: string, labels: Record<string, string> = {}) =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
        ?.value;
    const closed: Record<string, [string, string[]]> = {
      moderation_queue_jobs: ['state', ['waiting', 'active', 'delayed', 'failed']],
      moderation_risk_engine_request_duration_seconds_count: [
        'outcome',
        [
          'ok',
          'rejected',
          'breaker_open',
          'timeout',
          'network',
          'http_5xx',
          'rate_limited',
          'unauthorized',
          'invalid_response',
        ],
      ],
      moderation_risk_engine_breaker_transitions_total: ['to', ['open', 'half_open', 'closed']],
      moderation_analysis_jobs_total: [
        'outcome',
        [
          'analyzed',
          'skipped_disabled',
          'skipped_no_facts',
          'deferred',
          'abandoned',
          'rejected',
          'unstorable',
          'skipped_invalid_request',
          'already_analyzed',
          'invalid',
          'error',
        ],
      ],
      moderation_analysis_jobs_failed_total: [
        'reason',
        ['rejected', 'abandoned', 'invalid', 'unstorable', 'retries_exhausted'],
      ],
      moderation_db_write_conflict_retries_total: ['sqlstate', ['40001', '40P01']],
      moderation_signals_stored_total: ['severity', ['low', 'medium', 'high', 'critical']],
      moderation_notifications_failed_total: [
        'reason',
        ['rate_limited', 'http_5xx', 'http_4xx', 'timeout', 'network', 'invalid_payload'],
      ],
      moderation_discovery_matches_total: ['outcome', ['queued', 'already_queued']],
      moderation_discovery_passes_total: ['outcome', ['swept', 'locked', 'not_due', 'failed']],
    };
    for (const [name, [label, values]] of Object.entries(closed)) {
      for (const each of values)
        expect(value(name, { [label]: each }), `${name}{${label}="${each}"}`).toBe(0);
    }
    expect(value('moderation_unstorable_matches_total'), 'moderation_unstorable_matches_total').toBe(0);
    for (const state of ['disabled', 'closed', 'open', 'half_open']) {
      expect(value('moderation_risk_engine_breaker_state', { state }), state).toBe(
        state === 'disabled' ? 1 : 0,
      );
    }
    expect(value('moderation_worker_ready')).toBe(1);
    for (const dependency of ['redis', 'postgres', 'schema']) {
      expect(value('moderation_worker_dependency_up', { dependency }), dependency).toBe(1);
    }
    expect(value('moderation_redis_maxmemory_policy_ok')).toBe(1);
    expect(value('moderation_queue_oldest_waiting_job_age_seconds')).toBe(0);
    expect(value('moderation_queue_stats_read_failures_total')).toBe(0);
    expect(value('moderation_outbox_oldest_pending_seconds')).toBe(0);
    expect(value('moderation_discovery_lag_seconds')).toBe(0);
    expect(value('process_resident_memory_bytes')).toBeGreaterThan(0);
  });
});
