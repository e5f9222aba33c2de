import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IConfigMap, IContainer, ISecret, IService } from 'kubernetes-models/v1';
import { beforeAll, describe, expect, it } from 'vitest';
import { configObjectsOf, containerEnvironment } from './support/container-env.js';
import { FAKE_ENGINE_IMAGE, WORKER_IMAGE } from './support/image-names.js';
import { validateKubeObject } from './support/kubernetes-schema.js';
import { findObject, type KubeObject, renderKustomization } from './support/kustomize.js';
import {
  expectHardenedPod,
  expectPinnedImages,
  expectSecretsByReference,
  imageReference,
} from './support/pod-checks.js';

let objects: KubeObject[];
let workerDeployment: IDeployment;
let engineDeployment: IDeployment;
let worker: IContainer;
let engine: IContainer;

beforeAll(async () => {
  objects = await renderKustomization('infra/k3s/overlays/k3d');
  workerDeployment = findObject<IDeployment>(objects, 'Deployment', 'risk-analysis-worker');
  engineDeployment = findObject<IDeployment>(objects, 'Deployment', 'fake-risk-engine');
  worker = workerDeployment.spec!.template.spec!.containers[0]!;
  engine = engineDeployment.spec!.template.spec!.containers[0]!;
});

/** The decoded value a `secretKeyRef` points at in the rendered Secrets. */
function secretValue(ref: { name: string; key: string }): string {
  const secret = findObject<ISecret>(objects, 'Secret', ref.name);
  const encoded = secret.data?.[ref.key];
  if (encoded !== undefined) return Buffer.from(encoded, 'base64').toString('utf8');
  const plain = secret.stringData?.[ref.key];
  if (plain === undefined) throw new Error(`Secret ${ref.name} has no key ${ref.key}`);
  return plain;
}

function envRef(container: IContainer, name: string): { name: string; key: string } {
  const ref = container.env?.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
  if (ref === undefined) throw new Error(`${container.name}: ${name} is not a secretKeyRef`);
  return { name: ref.name!, key: ref.key };
}

describe('infra/k3s/overlays/k3d', () => {
  it('renders only objects that pass the Kubernetes schema for their kind', () => {
    expect(objects.length).toBeGreaterThan(0);
    for (const object of objects) validateKubeObject(object);
    for (const object of objects) {
      expect(object.metadata.labels?.['app.kubernetes.io/part-of'], object.kind).toBe('geoduels');
    }
  });

  it('runs the fake engine on 8096 with probes on its health paths and the same hardening', () => {
    expect(engine.ports).toEqual([{ name: 'http', containerPort: 8096, protocol: 'TCP' }]);
    expect(engine.livenessProbe?.httpGet).toEqual({ path: '/health/live', port: 'http' });
    expect(engine.readinessProbe?.httpGet).toEqual({ path: '/health/ready', port: 'http' });
    expectHardenedPod(engineDeployment.spec!.template.spec!);
    const service = findObject<IService>(objects, 'Service', 'fake-risk-engine');
    expect(service.spec!.ports).toEqual([{ name: 'http', port: 8096, targetPort: 'http', protocol: 'TCP' }]);
    expect(engineDeployment.spec!.template.metadata!.labels).toMatchObject(service.spec!.selector!);
  });

  it('points the worker at the fake engine Service', () => {
    const url = new URL(secretValue(envRef(worker, 'RISK_ENGINE_URL')));
    expect(url.href).toBe('http://fake-risk-engine:8096/');
    const service = findObject<IService>(objects, 'Service', url.hostname);
    expect(service.spec!.ports!.map((p) => p.port)).toContain(Number(url.port));
  });

  it('gives the worker and the fake engine the same generated dev token, never in a ConfigMap', () => {
    const workerRef = envRef(worker, 'RISK_ENGINE_TOKEN');
    expect(workerRef).toEqual(envRef(engine, 'FAKE_RISK_ENGINE_TOKEN'));
    const token = secretValue(workerRef);
    expect(token.length).toBeGreaterThan(0);
    for (const configMap of objects.filter((o) => o.kind === 'ConfigMap') as unknown as IConfigMap[]) {
      expect(JSON.stringify(configMap)).not.toContain(token);
    }
    for (const deployment of [workerDeployment, engineDeployment]) {
      expect(JSON.stringify(deployment)).not.toContain(token);
      for (const container of deployment.spec!.template.spec!.containers) expectSecretsByReference(container);
    }
  });

  it('reaches PostgreSQL and Redis on the host through host.k3d.internal', () => {
    expect(new URL(secretValue(envRef(worker, 'POSTGRES_URL'))).hostname).toBe('host.k3d.internal');
    expect(new URL(secretValue(envRef(worker, 'REDIS_URL'))).hostname).toBe('host.k3d.internal');
    const config = findObject<IConfigMap>(objects, 'ConfigMap', 'risk-analysis-worker-config');
    expect(config.data!.POSTGRES_PGBOUNCER).toBe('false');
    expect(config.data!.RISK_ENGINE_TIMEOUT).toBe('750ms');
  });

  it('keeps the worker hardened, with its probes, after the overlay patches', () => {
    expectHardenedPod(workerDeployment.spec!.template.spec!);
    expect(worker.readinessProbe?.httpGet).toEqual({ path: '/health/ready', port: 'http' });
  });

  it("keeps the base's layering and starts without production's shared objects, which it does not define", () => {
    expect(worker.envFrom).toEqual([
      { configMapRef: { name: 'geoduels-runtime-config', optional: true } },
      { secretRef: { name: 'geoduels-secrets', optional: true } },
      { configMapRef: { name: 'risk-analysis-worker-config' } },
    ]);
    const names = objects.map((o) => o.metadata.name);
    expect(names).not.toContain('geoduels-runtime-config');
    expect(names).not.toContain('geoduels-secrets');
    const env = containerEnvironment(worker, configObjectsOf(objects));
    expect(env).toMatchObject({
      POSTGRES_URL: 'postgres://postgres@host.k3d.internal:5432/geoduels',
      REDIS_URL: 'redis://host.k3d.internal:6379',
      RISK_ENGINE_URL: 'http://fake-risk-engine:8096',
      RISK_ENGINE_TOKEN: secretValue(envRef(engine, 'FAKE_RISK_ENGINE_TOKEN')),
      POSTGRES_PGBOUNCER: 'false',
      LOG_LEVEL: 'debug',
    });
  });

  it('pins both images to a version tag with IfNotPresent, using the names the Dockerfiles build', () => {
    const names = new Set<string>();
    for (const deployment of [workerDeployment, engineDeployment]) {
      expectPinnedImages(deployment.spec!.template.spec!);
      for (const c of deployment.spec!.template.spec!.containers) names.add(imageReference(c.image!).name);
    }
    expect([...names].sort()).toEqual([FAKE_ENGINE_IMAGE, WORKER_IMAGE]);
  });

  it('provides the direct database URL the opt-in migration Job reads, under the name it expects', () => {
    const url = secretValue({ name: 'risk-analysis-worker-secrets', key: 'POSTGRES_MIGRATE_URL' });
    expect(new URL(url).hostname).toBe('host.k3d.internal');
  });
});
