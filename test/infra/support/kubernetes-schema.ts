// Validates rendered objects against the Kubernetes OpenAPI schemas shipped in kubernetes-models
// (no download at test time).
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import type { KubeObject } from './kustomize.js';

type Validate = (object: KubeObject) => void;

const validators: Record<string, Validate> = {
  'apps/v1/Deployment': (o) => new Deployment(o as never).validate(),
  'batch/v1/Job': (o) => new Job(o as never).validate(),
  'policy/v1/PodDisruptionBudget': (o) => new PodDisruptionBudget(o as never).validate(),
  'v1/ConfigMap': (o) => new ConfigMap(o as never).validate(),
  'v1/Secret': (o) => new Secret(o as never).validate(),
  'v1/Service': (o) => new Service(o as never).validate(),
  'v1/ServiceAccount': (o) => new ServiceAccount(o as never).validate(),
};

/** Throws when the object breaks its schema, or when no schema is registered for its apiVersion/kind. */
export function validateKubeObject(object: KubeObject): void {
  const key = `${object.apiVersion}/${object.kind}`;
  const validate = validators[key];
  if (validate === undefined) {
    throw new Error(
      `no schema registered for ${key} (${object.metadata.name}): add it to kubernetes-schema.ts`,
    );
  }
  try {
    validate(object);
  } catch (error) {
    throw new Error(`${key} ${object.metadata.name} is invalid: ${(error as Error).message}`);
  }
}
