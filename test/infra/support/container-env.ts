// A container's environment as the kubelet builds it, from the ConfigMaps and Secrets that exist:
// envFrom sources in order (a later source wins for a duplicate key), then `env` entries, which win over
// every envFrom source. An optional reference to a missing object or key is skipped, so an earlier
// value stays; a required one is what the kubelet reports as CreateContainerConfigError.
import type { IConfigMap, IContainer, ISecret } from 'kubernetes-models/v1';
import type { KubeObject } from './kustomize.js';

/** The ConfigMaps and Secrets present in the namespace: name -> key -> value (decoded). */
export interface ConfigObjects {
  configMaps: Record<string, Record<string, string>>;
  secrets: Record<string, Record<string, string>>;
}

/** Where the kubelet would refuse to start the container; `reference` names what is missing. */
export class MissingReferenceError extends Error {
  override readonly name = 'MissingReferenceError';
  constructor(readonly reference: string) {
    super(`required reference ${reference} is missing (CreateContainerConfigError)`);
  }
}

/** The container's environment variables; throws MissingReferenceError where the kubelet would fail. */
export function containerEnvironment(container: IContainer, objects: ConfigObjects): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const [kind, ref, store] = source.configMapRef
      ? (['ConfigMap', source.configMapRef, objects.configMaps] as const)
      : (['Secret', source.secretRef!, objects.secrets] as const);
    const data = store[ref.name!];
    if (data === undefined) {
      if (ref.optional === true) continue;
      throw new MissingReferenceError(`${kind} ${ref.name}`);
    }
    for (const [key, value] of Object.entries(data)) environment[`${source.prefix ?? ''}${key}`] = value;
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (from === undefined) {
      environment[variable.name] = variable.value ?? '';
      continue;
    }
    const ref = from.secretKeyRef ?? from.configMapKeyRef;
    if (ref === undefined) {
      throw new Error(`${variable.name}: only secretKeyRef and configMapKeyRef are modelled`);
    }
    const [kind, store] = from.secretKeyRef
      ? (['Secret', objects.secrets] as const)
      : (['ConfigMap', objects.configMaps] as const);
    const value = store[ref.name!]?.[ref.key];
    if (value === undefined) {
      if (ref.optional === true) continue;
      throw new MissingReferenceError(`${kind} ${ref.name} key ${ref.key}`);
    }
    environment[variable.name] = value;
  }
  return environment;
}

/** The ConfigMaps and Secrets among rendered objects, Secret data base64-decoded. */
export function configObjectsOf(objects: KubeObject[]): ConfigObjects {
  const found: ConfigObjects = { configMaps: {}, secrets: {} };
  for (const object of objects) {
    if (object.kind === 'ConfigMap') {
      found.configMaps[object.metadata.name] = { ...((object as IConfigMap).data ?? {}) };
    }
    if (object.kind === 'Secret') {
      const secret = object as ISecret;
      const decoded = Object.entries(secret.data ?? {}).map(([key, value]) => [
        key,
        Buffer.from(value, 'base64').toString('utf8'),
      ]);
      found.secrets[object.metadata.name] = { ...Object.fromEntries(decoded), ...(secret.stringData ?? {}) };
    }
  }
  return found;
}
