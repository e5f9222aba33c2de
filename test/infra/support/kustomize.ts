// Renders a kustomization with the real `kubectl kustomize` and parses every document.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './repo.js';

const run = promisify(execFile);

/** A rendered Kubernetes object: only the envelope is typed, the rest is checked by schema. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/**
 * Runs `kubectl kustomize <dir>` (dir relative to the repo root) and returns the parsed objects;
 * `kubectl` names the binary (tests of the missing-binary message pass another).
 */
export async function renderKustomization(dir: string, kubectl = 'kubectl'): Promise<KubeObject[]> {
  let stdout: string;
  try {
    ({ stdout } = await run(kubectl, ['kustomize', path.join(REPO_ROOT, dir)], {
      maxBuffer: 16 * 1024 * 1024,
    }));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        `${kubectl} is not installed or not on PATH: the infra tests render the manifests with ` +
          '"kubectl kustomize" (kubectl >= 1.27); install it (CI uses azure/setup-kubectl) and re-run',
      );
    }
    throw new Error(`kubectl kustomize ${dir} failed: ${(error as { stderr?: string }).stderr ?? error}`);
  }
  const objects: KubeObject[] = [];
  for (const doc of parseAllDocuments(stdout)) {
    if (doc.errors.length > 0)
      throw new Error(`${dir}: invalid YAML from kustomize: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as KubeObject | null;
    if (value !== null) objects.push(value);
  }
  return objects;
}

/** The one object of a kind and name; throws naming what is missing. */
export function findObject<T = KubeObject>(objects: KubeObject[], kind: string, name: string): T {
  const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
  if (found.length !== 1) {
    throw new Error(`expected exactly one ${kind}/${name}, found ${found.length}`);
  }
  return found[0] as T;
}
