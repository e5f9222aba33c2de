// What production's Go moderation worker is likely called in Kubernetes. Its base manifest is not in this
// repository, only its image; so these are the names and labels a base of it would most likely use.
// It runs in the same namespace as this worker and keeps running: nothing of ours may take these names.

/** Names the Go worker's objects likely carry: its process name, and its image's name. */
export const GO_WORKER_NAMES = ['moderation-worker', 'geoduels-moderation-worker'] as const;

/** Whether a name or label value is one of the Go worker's names or derived from one (`moderation-worker-config`). */
export function isGoWorkerName(value: string): boolean {
  return GO_WORKER_NAMES.some((name) => value === name || value.startsWith(`${name}-`));
}

/** Label sets the Go worker's pods likely carry, one per common labelling convention. */
export const GO_WORKER_POD_LABELS: readonly Record<string, string>[] = [
  // A kustomize base like ours: the recommended labels, with the same shared part-of and component.
  {
    'app.kubernetes.io/name': 'moderation-worker',
    'app.kubernetes.io/part-of': 'geoduels',
    'app.kubernetes.io/component': 'moderation',
    'app.kubernetes.io/managed-by': 'kustomize',
  },
  { 'app.kubernetes.io/name': 'moderation-worker', 'app.kubernetes.io/instance': 'moderation-worker' },
  { 'app.kubernetes.io/name': 'geoduels-moderation-worker', 'app.kubernetes.io/part-of': 'geoduels' },
  { app: 'moderation-worker' },
];

/** Selectors the Go worker's Deployment, Service or disruption budget likely use. */
export const GO_WORKER_SELECTORS: readonly Record<string, string>[] = [
  { 'app.kubernetes.io/name': 'moderation-worker' },
  { 'app.kubernetes.io/name': 'geoduels-moderation-worker' },
  { app: 'moderation-worker' },
];
