// Label selectors of rendered objects and the API server's rule for which pods they select.
import type { KubeObject } from './kustomize.js';
import { walkFields } from './object-fields.js';

/** A Kubernetes label selector (a Service's plain map is read as `matchLabels`). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** One selector found in an object, with where it was found (`Deployment/x spec.selector`). */
export interface FoundSelector {
  where: string;
  selector: LabelSelector;
}

/** Thrown for a selector with match expressions, which `selects` does not evaluate. */
export class UnsupportedSelectorError extends Error {
  override readonly name = 'UnsupportedSelectorError';
  readonly code = 'unsupported_selector';
  constructor(readonly where: string) {
    super(`${where} uses matchExpressions, which label-selectors.ts does not evaluate: extend selects()`);
  }
}

/**
 * Every label selector in an object: a Service's `spec.selector`, and every `selector` or `labelSelector`
 * field anywhere else (workload selectors, disruption budgets, topology spread, affinity terms).
 */
export function selectorsOf(object: KubeObject): FoundSelector[] {
  const found: FoundSelector[] = [];
  const name = `${object.kind}/${object.metadata.name}`;
  walkFields(object, ({ key, value, path }) => {
    if (object.kind === 'Service' && path === 'spec.selector') {
      found.push({ where: `${name} ${path}`, selector: { matchLabels: value as Record<string, string> } });
      return true;
    }
    if ((key === 'selector' || key === 'labelSelector') && value !== null && typeof value === 'object') {
      found.push({ where: `${name} ${path}`, selector: value as LabelSelector });
      return true;
    }
    return false;
  });
  return found;
}

/**
 * Whether the selector selects a pod with these labels: every `matchLabels` pair present (an empty
 * selector selects every pod). `where` names the selector in the error for `matchExpressions`.
 */
export function selects(
  selector: LabelSelector,
  labels: Record<string, string>,
  where = 'selector',
): boolean {
  if ((selector.matchExpressions ?? []).length > 0) throw new UnsupportedSelectorError(where);
  return Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
}

/** The labels of the pods a workload creates (Deployment or Job template); none for other kinds. */
export function podLabelsOf(object: KubeObject): Record<string, string> | undefined {
  const template = (object as { spec?: { template?: { metadata?: { labels?: Record<string, string> } } } })
    .spec?.template;
  return template?.metadata?.labels;
}

/** Every label map of an object, with where it was found: metadata and pod template labels. */
export function labelMapsOf(object: KubeObject): { where: string; labels: Record<string, string> }[] {
  const name = `${object.kind}/${object.metadata.name}`;
  const maps = [{ where: `${name} metadata.labels`, labels: object.metadata.labels ?? {} }];
  const pod = podLabelsOf(object);
  if (pod !== undefined) maps.push({ where: `${name} spec.template.metadata.labels`, labels: pod });
  return maps;
}
