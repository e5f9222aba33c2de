// The other objects a rendered object refers to by name: what must exist beside it in the namespace.
import type { KubeObject } from './kustomize.js';
import { walkFields } from './object-fields.js';

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
  walkFields(object, ({ key, value, path }) => {
    const kind = NAMED_BY_NAME[key];
    if (kind !== undefined && typeof (value as { name?: unknown })?.name === 'string') {
      found.push({ kind, name: (value as { name: string }).name, field: path });
    } else if (key === 'secret' && typeof (value as { secretName?: unknown })?.secretName === 'string') {
      found.push({ kind: 'Secret', name: (value as { secretName: string }).secretName, field: path });
    } else if (key === 'serviceAccountName' && typeof value === 'string') {
      found.push({ kind: 'ServiceAccount', name: value, field: path });
    }
    return false;
  });
  return found;
}
