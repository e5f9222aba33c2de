// This worker runs in production's namespace beside the Go moderation worker, which it does not replace.
// An object of ours under the Go worker's name would overwrite the Go worker's on apply, and a selector of
// ours matching its pods would put them behind our Service and disruption budget.
import { beforeAll, describe, expect, it } from 'vitest';
import { GO_WORKER_POD_LABELS, GO_WORKER_SELECTORS, isGoWorkerName } from './support/go-worker.js';
import { operatorKubectlReferences } from './support/kubectl-references.js';
import { type KubeObject, renderKustomization } from './support/kustomize.js';
import { labelMapsOf, podLabelsOf, selectorsOf, selects } from './support/label-selectors.js';
import { objectReferencesOf } from './support/object-references.js';

const KUSTOMIZATIONS = ['infra/k3s/base', 'infra/k3s/jobs', 'infra/k3s/overlays/k3d'] as const;

/** Every object each kustomization renders, tagged with the kustomization. */
let rendered: { dir: string; object: KubeObject }[];

beforeAll(async () => {
  rendered = [];
  for (const dir of KUSTOMIZATIONS) {
    for (const object of await renderKustomization(dir)) rendered.push({ dir, object });
  }
});

const label = (dir: string, object: KubeObject) => `${dir}: ${object.kind}/${object.metadata.name}`;

describe("infra/k3s beside production's Go moderation worker", () => {
  it('names the worker objects risk-analysis-worker, in base, jobs and the k3d overlay', () => {
    const names = (dir: string) =>
      rendered
        .filter((r) => r.dir === dir && r.object.metadata.name.includes('worker'))
        .map((r) => `${r.object.kind}/${r.object.metadata.name}`)
        .sort();
    expect(names('infra/k3s/base')).toEqual([
      'ConfigMap/risk-analysis-worker-config',
      'Deployment/risk-analysis-worker',
      'PodDisruptionBudget/risk-analysis-worker',
      'Service/risk-analysis-worker',
      'ServiceAccount/risk-analysis-worker',
    ]);
    expect(names('infra/k3s/jobs')).toEqual(['Job/risk-analysis-worker-migrate']);
    expect(names('infra/k3s/overlays/k3d')).toEqual(
      [...names('infra/k3s/base'), 'Secret/risk-analysis-worker-secrets'].sort(),
    );
  });

  it("gives no object the Go worker's name or one derived from it", () => {
    for (const { dir, object } of rendered) {
      expect(isGoWorkerName(object.metadata.name), label(dir, object)).toBe(false);
    }
  });

  it("refers to no ConfigMap, Secret or ServiceAccount under the Go worker's name", () => {
    const references = rendered.flatMap(({ dir, object }) =>
      objectReferencesOf(object).map((r) => ({ where: `${label(dir, object)} ${r.field}`, ...r })),
    );
    expect(references.map((r) => `${r.kind}/${r.name}`)).toEqual(
      expect.arrayContaining([
        'ConfigMap/risk-analysis-worker-config',
        'Secret/risk-analysis-worker-secrets',
        'ServiceAccount/risk-analysis-worker',
      ]),
    );
    for (const { where, kind, name } of references) {
      expect(isGoWorkerName(name), `${where} names ${kind} ${name}`).toBe(false);
    }
  });

  it("puts the Go worker's name in no label of ours, on objects or pods", () => {
    for (const { dir, object } of rendered) {
      for (const { where, labels } of labelMapsOf(object)) {
        for (const [key, value] of Object.entries(labels)) {
          expect(isGoWorkerName(value), `${dir}: ${where} ${key}=${value}`).toBe(false);
        }
      }
    }
  });

  it('selects pods by a non-empty selector that includes the name label of one of its own workloads', () => {
    const ownPodNames = new Set(
      rendered.map((r) => podLabelsOf(r.object)?.['app.kubernetes.io/name']).filter((n) => n !== undefined),
    );
    const found = rendered.flatMap(({ dir, object }) => selectorsOf(object).map((s) => ({ dir, ...s })));
    expect(found.map((f) => f.where)).toContain('PodDisruptionBudget/risk-analysis-worker spec.selector');
    expect(found.map((f) => f.where)).toContain('Service/risk-analysis-worker spec.selector');
    for (const { dir, where, selector } of found) {
      const name = selector.matchLabels?.['app.kubernetes.io/name'];
      expect(name, `${dir}: ${where} selects by app.kubernetes.io/name`).toBeDefined();
      expect(ownPodNames, `${dir}: ${where}`).toContain(name);
    }
  });

  it("selects none of the Go worker's pods, under any labelling its base likely uses", () => {
    for (const { dir, object } of rendered) {
      for (const { where, selector } of selectorsOf(object)) {
        for (const goPod of GO_WORKER_POD_LABELS) {
          expect(selects(selector, goPod, where), `${dir}: ${where} selects ${JSON.stringify(goPod)}`).toBe(
            false,
          );
        }
      }
    }
  });

  it("keeps its pods out of the Go worker's likely selectors", () => {
    const pods = rendered.filter((r) => podLabelsOf(r.object) !== undefined);
    expect(pods.map((r) => label(r.dir, r.object))).toContain(
      'infra/k3s/base: Deployment/risk-analysis-worker',
    );
    for (const { dir, object } of pods) {
      for (const goSelector of GO_WORKER_SELECTORS) {
        expect(
          selects({ matchLabels: goSelector }, podLabelsOf(object)!),
          `${label(dir, object)} pods match ${JSON.stringify(goSelector)}`,
        ).toBe(false);
      }
    }
  });

  it('lets its own Service and disruption budget select its own pods, and no other workload of ours', () => {
    const overlay = rendered.filter((r) => r.dir === 'infra/k3s/overlays/k3d').map((r) => r.object);
    const workloads = overlay.filter((o) => podLabelsOf(o) !== undefined);
    for (const kind of ['Service', 'PodDisruptionBudget']) {
      const owner = overlay.find((o) => o.kind === kind && o.metadata.name === 'risk-analysis-worker')!;
      const [{ selector }] = selectorsOf(owner) as [ReturnType<typeof selectorsOf>[number]];
      const selected = workloads
        .filter((w) => selects(selector, podLabelsOf(w)!, kind))
        .map((w) => w.metadata.name);
      expect(selected, kind).toEqual(['risk-analysis-worker']);
    }
  });
});

describe('kubectl commands operators read (docs, READMEs, workflows, manifest comments)', () => {
  it('name only objects and pod labels the manifests render', async () => {
    const references = await operatorKubectlReferences();
    const files = new Set(references.map((r) => r.file));
    for (const file of [
      'docs/deployment.md',
      'infra/k3s/jobs/kustomization.yaml',
      '.github/workflows/release.yml',
    ]) {
      expect(files, `${file} has kubectl commands`).toContain(file);
    }
    const objects = new Set(rendered.map((r) => `${r.object.kind}/${r.object.metadata.name}`));
    const podNames = new Set(
      rendered.map((r) => `Pod label/${podLabelsOf(r.object)?.['app.kubernetes.io/name']}`),
    );
    for (const reference of references) {
      const key = `${reference.kind}/${reference.name}`;
      const known = reference.kind === 'Pod label' ? podNames.has(key) : objects.has(key);
      expect(known, `${reference.file}: ${reference.command} names ${key}, which no manifest renders`).toBe(
        true,
      );
    }
  });
});
