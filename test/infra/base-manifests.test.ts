import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { IConfigMap, IContainer, IService } from 'kubernetes-models/v1';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ConfigObjects, containerEnvironment, MissingReferenceError } from './support/container-env.js';
import { PRODUCTION_GO_WORKER_IMAGE, WORKER_IMAGE } from './support/image-names.js';
import { validateKubeObject } from './support/kubernetes-schema.js';
import { findObject, type KubeObject, renderKustomization } from './support/kustomize.js';
import {
  expectHardenedPod,
  expectPinnedImages,
  expectSecretsByReference,
  goDurationSeconds,
  imageReference,
  SECRET_VARIABLES,
} from './support/pod-checks.js';

let objects: KubeObject[];
let deployment: IDeployment;
let worker: IContainer;
let config: IConfigMap;

beforeAll(async () => {
  objects = await renderKustomization('infra/k3s/base');
  deployment = findObject<IDeployment>(objects, 'Deployment', 'risk-analysis-worker');
  worker = deployment.spec!.template.spec!.containers.find((c) => c.name === 'moderation-worker')!;
  config = findObject<IConfigMap>(objects, 'ConfigMap', 'risk-analysis-worker-config');
});

describe('infra/k3s/base', () => {
  it('fails with a clear message, instead of skipping, when kubectl is missing', async () => {
    await expect(renderKustomization('infra/k3s/base', 'kubectl-not-installed')).rejects.toThrow(
      /kubectl-not-installed is not installed or not on PATH: the infra tests render the manifests/,
    );
  });

  it('renders only objects that pass the Kubernetes schema for their kind', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'ConfigMap/risk-analysis-worker-config',
      'Deployment/risk-analysis-worker',
      'PodDisruptionBudget/risk-analysis-worker',
      'Service/risk-analysis-worker',
      'ServiceAccount/risk-analysis-worker',
    ]);
    for (const object of objects) validateKubeObject(object);
  });

  it('labels every object and pod as part of geoduels', () => {
    for (const object of objects) {
      expect(object.metadata.labels?.['app.kubernetes.io/part-of'], object.kind).toBe('geoduels');
    }
    expect(deployment.spec!.template.metadata!.labels?.['app.kubernetes.io/part-of']).toBe('geoduels');
  });

  it('serves the worker on port 8093 named http with liveness and readiness on their paths', () => {
    expect(worker.ports).toEqual([{ name: 'http', containerPort: 8093, protocol: 'TCP' }]);
    expect(worker.livenessProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' });
    expect(worker.readinessProbe?.httpGet).toEqual({ path: '/health/ready', port: 'http' });
    expect(worker.startupProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' });
    expect(worker.args).toEqual(['run']);
  });

  it('gives the drain more time than MODERATION_DRAIN_TIMEOUT before SIGKILL', () => {
    const drain = goDurationSeconds(config.data!.MODERATION_DRAIN_TIMEOUT!);
    expect(drain).toBe(25);
    expect(deployment.spec!.template.spec!.terminationGracePeriodSeconds).toBeGreaterThan(drain + 5);
  });

  it('runs hardened: non-root 10001, read-only root, no privilege escalation, no capabilities', () => {
    expectHardenedPod(deployment.spec!.template.spec!);
    expectPinnedImages(deployment.spec!.template.spec!);
  });

  it("runs the risk-analysis worker image, never the production Go moderation worker's", () => {
    expect(imageReference(worker.image!).name).toBe(WORKER_IMAGE);
    expect(JSON.stringify(objects)).not.toContain(PRODUCTION_GO_WORKER_IMAGE);
  });

  it('requests and limits the resources sized from the measured footprint', () => {
    expect(worker.resources).toEqual({
      requests: { cpu: '250m', memory: '192Mi' },
      limits: { cpu: '1', memory: '320Mi' },
    });
  });

  it("reads production's shared objects (optional) first and its own ConfigMap last among envFrom", () => {
    expect(worker.envFrom).toEqual([
      { configMapRef: { name: 'geoduels-runtime-config', optional: true } },
      { secretRef: { name: 'geoduels-secrets', optional: true } },
      { configMapRef: { name: 'risk-analysis-worker-config' } },
    ]);
  });

  it('takes runtime settings from its ConfigMap, tuned for PgBouncer and a 750ms engine budget', () => {
    expect(config.data).toMatchObject({
      RISK_ENGINE_TIMEOUT: '750ms',
      POSTGRES_PGBOUNCER: 'true',
      POSTGRES_MAX_CONNS: '5',
      MODERATION_WORKER_ADDR: ':8093',
      MODERATION_QUEUE_NAME: 'moderation.risk-analysis',
      MODERATION_QUEUE_PREFIX: '{moderation}',
    });
    expect(Number(config.data!.MODERATION_WORKER_CONCURRENCY)).toBeGreaterThan(0);
    expect(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).toContain(config.data!.LOG_LEVEL);
  });

  it('runs the discovery sweep: on, seconds between passes, an overlap of minutes behind its cursor', () => {
    expect(config.data!.MODERATION_DISCOVERY_ENABLED).toBe('true');
    const interval = goDurationSeconds(config.data!.MODERATION_DISCOVERY_INTERVAL!);
    const overlap = goDurationSeconds(config.data!.MODERATION_DISCOVERY_OVERLAP!);
    expect(interval).toBeGreaterThan(0);
    expect(interval).toBeLessThanOrEqual(10);
    expect(overlap).toBeGreaterThanOrEqual(60);
    expect(Number(config.data!.MODERATION_DISCOVERY_BATCH_SIZE)).toBeGreaterThan(0);
  });

  it('reads connection strings and engine settings from optional keys of its own Secret', () => {
    expectSecretsByReference(worker);
    const refs = Object.fromEntries((worker.env ?? []).map((e) => [e.name, e.valueFrom?.secretKeyRef]));
    const names = [
      'POSTGRES_URL',
      'REDIS_URL',
      'RISK_ENGINE_URL',
      'RISK_ENGINE_TOKEN',
      'MODERATION_WEBHOOK_URL',
    ];
    expect(Object.keys(refs).sort()).toEqual([...names].sort());
    for (const name of names) {
      expect(refs[name], name).toEqual({ name: 'risk-analysis-worker-secrets', key: name, optional: true });
    }
    for (const key of Object.keys(config.data ?? {})) {
      expect(SECRET_VARIABLES as readonly string[]).not.toContain(key);
      expect(key).not.toMatch(/TOKEN|PASSWORD|SECRET/);
    }
    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  it('exposes metrics through a Service and Prometheus annotations on the real port', () => {
    const service = findObject<IService>(objects, 'Service', 'risk-analysis-worker');
    expect(service.spec!.ports).toEqual([{ name: 'http', port: 8093, targetPort: 'http', protocol: 'TCP' }]);
    const podLabels = deployment.spec!.template.metadata!.labels!;
    expect(podLabels).toMatchObject(service.spec!.selector!);
    const annotations = deployment.spec!.template.metadata!.annotations!;
    expect(annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/path': '/metrics' });
    expect(Number(annotations['prometheus.io/port'])).toBe(worker.ports![0]!.containerPort);
  });

  it('protects the worker with a disruption budget that matches its pods', () => {
    const pdb = findObject<IPodDisruptionBudget>(objects, 'PodDisruptionBudget', 'risk-analysis-worker');
    expect(deployment.spec!.template.metadata!.labels).toMatchObject(pdb.spec!.selector!.matchLabels!);
    expect(deployment.spec!.selector.matchLabels).toEqual(pdb.spec!.selector!.matchLabels);
    expect(pdb.spec!.maxUnavailable).toBe(1);
  });

  it('never migrates from the default build', () => {
    expect(objects.some((o) => o.kind === 'Job')).toBe(false);
    for (const container of deployment.spec!.template.spec!.containers) {
      expect([...(container.command ?? []), ...(container.args ?? [])]).not.toContain('migrate');
    }
    expect(deployment.spec!.template.spec!.initContainers).toBeUndefined();
  });
});

describe("infra/k3s/base: where the worker's environment comes from (Kubernetes precedence)", () => {
  const SHARED_CONFIG = {
    POSTGRES_URL: 'postgres://from-shared-configmap@pgbouncer:6432/geoduels',
    POSTGRES_MAX_CONNS: '2',
    LOG_LEVEL: 'warn',
    RISK_ENGINE_TIMEOUT: '8s',
    API_ONLY_SETTING: 'kept',
  };
  const SHARED_SECRETS = {
    POSTGRES_URL: 'postgres://api:pw@pgbouncer:6432/geoduels',
    REDIS_URL: 'redis://redis.prod:6379',
    RISK_ENGINE_URL: 'http://risk-engine.prod:8096',
    RISK_ENGINE_TOKEN: 'shared-token',
    POSTGRES_PGBOUNCER: 'false',
  };

  function environment(objectsPresent: Partial<ConfigObjects>): Record<string, string> {
    return containerEnvironment(worker, {
      configMaps: { 'risk-analysis-worker-config': config.data!, ...objectsPresent.configMaps },
      secrets: { ...objectsPresent.secrets },
    });
  }

  it("passes production's shared values through where the worker sets none of its own", () => {
    const env = environment({
      configMaps: { 'geoduels-runtime-config': SHARED_CONFIG },
      secrets: { 'geoduels-secrets': SHARED_SECRETS },
    });
    expect(env).toMatchObject({
      POSTGRES_URL: SHARED_SECRETS.POSTGRES_URL,
      REDIS_URL: SHARED_SECRETS.REDIS_URL,
      RISK_ENGINE_URL: SHARED_SECRETS.RISK_ENGINE_URL,
      RISK_ENGINE_TOKEN: SHARED_SECRETS.RISK_ENGINE_TOKEN,
      API_ONLY_SETTING: 'kept',
    });
    expect(env.MODERATION_WEBHOOK_URL).toBeUndefined();
  });

  it("lets the worker's own ConfigMap win over both shared objects for a duplicate key", () => {
    const env = environment({
      configMaps: { 'geoduels-runtime-config': SHARED_CONFIG },
      secrets: { 'geoduels-secrets': SHARED_SECRETS },
    });
    expect(env).toMatchObject({
      POSTGRES_MAX_CONNS: config.data!.POSTGRES_MAX_CONNS,
      LOG_LEVEL: config.data!.LOG_LEVEL,
      RISK_ENGINE_TIMEOUT: '750ms',
      POSTGRES_PGBOUNCER: 'true',
    });
  });

  it("lets every key of the worker's own Secret win over the shared objects, including an empty value", () => {
    const own = {
      POSTGRES_URL: 'postgres://worker:pw@pgbouncer:6432/geoduels',
      REDIS_URL: 'redis://redis.worker:6379',
      RISK_ENGINE_URL: '',
      RISK_ENGINE_TOKEN: 'worker-token',
      MODERATION_WEBHOOK_URL: 'https://discord.example/api/webhooks/1/abc',
    };
    const env = environment({
      configMaps: { 'geoduels-runtime-config': SHARED_CONFIG },
      secrets: { 'geoduels-secrets': SHARED_SECRETS, 'risk-analysis-worker-secrets': own },
    });
    expect(env).toMatchObject(own);
  });

  it('lets the shared Secret win over the shared ConfigMap (listed after it)', () => {
    const env = environment({
      configMaps: { 'geoduels-runtime-config': SHARED_CONFIG },
      secrets: {
        'geoduels-secrets': {
          REDIS_URL: SHARED_SECRETS.REDIS_URL,
          POSTGRES_URL: SHARED_SECRETS.POSTGRES_URL,
        },
      },
    });
    expect(env.POSTGRES_URL).toBe(SHARED_SECRETS.POSTGRES_URL);
  });

  it("starts without production's shared objects, from its own ConfigMap and Secret alone", () => {
    const own = { POSTGRES_URL: 'postgres://worker@db:5432/geoduels', REDIS_URL: 'redis://redis:6379' };
    const env = environment({ secrets: { 'risk-analysis-worker-secrets': own } });
    expect(env).toMatchObject({ ...own, ...config.data });
    expect(env.RISK_ENGINE_URL).toBeUndefined();
  });

  it('needs its own ConfigMap: only the shared objects are optional', () => {
    expect(() => containerEnvironment(worker, { configMaps: {}, secrets: {} })).toThrow(
      MissingReferenceError,
    );
  });
});
