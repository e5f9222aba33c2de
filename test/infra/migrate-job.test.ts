import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IJob } from 'kubernetes-models/batch/v1';
import type { IConfigMap } from 'kubernetes-models/v1';
import { beforeAll, describe, expect, it } from 'vitest';
import { containerEnvironment, MissingReferenceError } from './support/container-env.js';
import { WORKER_IMAGE } from './support/image-names.js';
import { validateKubeObject } from './support/kubernetes-schema.js';
import { findObject, type KubeObject, renderKustomization } from './support/kustomize.js';
import {
  expectHardenedPod,
  expectPinnedImages,
  expectSecretsByReference,
  imageReference,
} from './support/pod-checks.js';

let objects: KubeObject[];
let job: IJob;
let base: KubeObject[];
/** The worker's own ConfigMap data, from the base the Job is deployed beside. */
let own: Record<string, string>;

beforeAll(async () => {
  objects = await renderKustomization('infra/k3s/jobs');
  job = findObject<IJob>(objects, 'Job', 'risk-analysis-worker-migrate');
  base = await renderKustomization('infra/k3s/base');
  own = findObject<IConfigMap>(base, 'ConfigMap', 'risk-analysis-worker-config').data!;
});

describe('infra/k3s/jobs (opt-in migration)', () => {
  it('renders one Job that passes the Kubernetes schema', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Job/risk-analysis-worker-migrate']);
    validateKubeObject(objects[0]!);
  });

  it('runs `migrate up` once with the worker image, never retrying a failed migration', () => {
    const deployment = findObject<IDeployment>(base, 'Deployment', 'risk-analysis-worker');
    const container = job.spec!.template.spec!.containers[0]!;
    expect(container.command).toBeUndefined();
    expect(container.args).toEqual(['migrate', 'up']);
    expect(container.image).toBe(deployment.spec!.template.spec!.containers[0]!.image);
    expect(imageReference(container.image!).name).toBe(WORKER_IMAGE);
    expect(job.spec!.backoffLimit).toBe(0);
    expect(job.spec!.template.spec!.restartPolicy).toBe('Never');
  });

  it('connects directly to PostgreSQL, not through PgBouncer, from a Secret reference', () => {
    const container = job.spec!.template.spec!.containers[0]!;
    expectSecretsByReference(container);
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e]));
    expect(env.POSTGRES_URL?.valueFrom?.secretKeyRef).toEqual({
      name: 'risk-analysis-worker-secrets',
      key: 'POSTGRES_MIGRATE_URL',
    });
    expect(env.POSTGRES_PGBOUNCER?.value).toBe('false');
  });

  it("layers production's shared objects (optional) under the worker's own ConfigMap, like the Deployment", () => {
    const container = job.spec!.template.spec!.containers[0]!;
    expect(container.envFrom).toEqual([
      { configMapRef: { name: 'geoduels-runtime-config', optional: true } },
      { secretRef: { name: 'geoduels-secrets', optional: true } },
      { configMapRef: { name: 'risk-analysis-worker-config' } },
    ]);
  });

  it('migrates through the direct URL even where the shared Secret holds a PgBouncer POSTGRES_URL', () => {
    const container = job.spec!.template.spec!.containers[0]!;
    const direct = 'postgres://migrator:pw@postgres:5432/geoduels';
    const env = containerEnvironment(container, {
      configMaps: { 'geoduels-runtime-config': { LOG_LEVEL: 'warn' }, 'risk-analysis-worker-config': own },
      secrets: {
        'geoduels-secrets': { POSTGRES_URL: 'postgres://api:pw@pgbouncer:6432/geoduels' },
        'risk-analysis-worker-secrets': { POSTGRES_MIGRATE_URL: direct },
      },
    });
    expect(env).toMatchObject({
      POSTGRES_URL: direct,
      POSTGRES_PGBOUNCER: 'false',
      POSTGRES_MAX_CONNS: '1',
      LOG_LEVEL: own.LOG_LEVEL,
    });
  });

  it('refuses to start without POSTGRES_MIGRATE_URL rather than fall back to the shared PgBouncer URL', () => {
    const container = job.spec!.template.spec!.containers[0]!;
    expect(() =>
      containerEnvironment(container, {
        configMaps: { 'risk-analysis-worker-config': own },
        secrets: {
          'geoduels-secrets': { POSTGRES_URL: 'postgres://api:pw@pgbouncer:6432/geoduels' },
          'risk-analysis-worker-secrets': {},
        },
      }),
    ).toThrow(MissingReferenceError);
  });

  it('runs hardened with a pinned image', () => {
    expectHardenedPod(job.spec!.template.spec!);
    expectPinnedImages(job.spec!.template.spec!);
  });
});
