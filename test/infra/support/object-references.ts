// The other objects a rendered object refers to by name: what must exist beside it in the namespace.
import type { KubeObject } from './kustomize.js';

/** One reference: the kind referred to, its name, and the field that names it. */
export interface ObjectReference {
  kind: 'ConfigMap' | 'Secret' | 'ServiceAccount';
  name: string;
  field: string;
}

/** Fields holding a `{ name }` reference, with the kind they refer to. */
const NAMED_BY_NAME: Record<string, ObjectReference['kind']> = {
  configMapRef: 'ConfigMap',
  configMapKeyRef: 'ConfigMap',
  configMap: 'ConfigMap',
  secretRef: 'Secret',
  secretKeyRef: 'Secret',
};

/** Every ConfigMap, Secret and ServiceAccount the object names (env, envFrom, volumes, pod spec). */
export function objectReferencesOf(object: KubeObject): ObjectReference[] {
  const found: ObjectReference[] = [];
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) walk(item, `${path}[${i}]`);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value)) {
      const at = path === '' ? key : `${path}.${key}`;
      const kind = NAMED_BY_NAME[key];
      if (kind !== undefined && typeof (child as { name?: unknown })?.name === 'string') {
        found.push({ kind, name: (child as { name: string }).name, field: at });
      } else if (key === 'secret' && typeof (child as { secretName?: unknown })?.secretName === 'string') {
        found.push({ kind: 'Secret', name: (child as { secretName: string }).secretName, field: at });
      } else if (key === 'serviceAccountName' && typeof child === 'string') {
        found.push({ kind: 'ServiceAccount', name: child, field: at });
      }
      walk(child, at);
    }
  };
  walk(object, '');
  return found;
}
