import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IJob } from 'kubernetes-models/batch/v1';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateKubeObject } from './support/kubernetes-schema.js';
import { findObject, type KubeObject, renderKustomization } from './support/kustomize.js';
import { expectHardenedPod, expectPinnedImages, expectSecretsByReference } from './support/pod-checks.js';

let objects: KubeObject[];
let job: IJob;

beforeAll(async () => {
  objects = await renderKustomization('infra/k3s/jobs');
  job = findObject<IJob>(objects, 'Job', 'moderation-worker-migrate');
});

describe('infra/k3s/jobs (opt-in migration)', () => {
  it('renders one Job that passes the Kubernetes schema', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Job/moderation-worker-migrate']);
    validateKubeObject(objects[0]!);
  });

  it('runs `migrate up` once with the worker image, never retrying a failed migration', async () => {
    const base = await renderKustomization('infra/k3s/base');
    const deployment = findObject<IDeployment>(base, 'Deployment', 'moderation-worker');
    const container = job.spec!.template.spec!.containers[0]!;
    expect(container.command).toBeUndefined();
    expect(container.args).toEqual(['migrate', 'up']);
    expect(container.image).toBe(deployment.spec!.template.spec!.containers[0]!.image);
    expect(job.spec!.backoffLimit).toBe(0);
    expect(job.spec!.template.spec!.restartPolicy).toBe('Never');
  });

  it('connects directly to PostgreSQL, not through PgBouncer, from a Secret reference', () => {
    const container = job.spec!.template.spec!.containers[0]!;
    expectSecretsByReference(container);
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e]));
    expect(env.POSTGRES_URL?.valueFrom?.secretKeyRef).toEqual({
      name: 'moderation-worker-secrets',
      key: 'POSTGRES_MIGRATE_URL',
    });
    expect(env.POSTGRES_PGBOUNCER?.value).toBe('false');
  });

  it('runs hardened with a pinned image', () => {
    expectHardenedPod(job.spec!.template.spec!);
    expectPinnedImages(job.spec!.template.spec!);
  });
});
