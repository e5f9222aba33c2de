// Assertions shared by every workload manifest: hardening, image pinning, secret handling.
import type { IContainer, IPodSpec } from 'kubernetes-models/v1';
import { expect } from 'vitest';

/** The environment variables that may only ever come from a Secret. */
export const SECRET_VARIABLES = [
  'POSTGRES_URL',
  'REDIS_URL',
  'RISK_ENGINE_URL',
  'RISK_ENGINE_TOKEN',
  'MODERATION_WEBHOOK_URL',
  'FAKE_RISK_ENGINE_TOKEN',
] as const;

/** Asserts the pod and its containers run non-root, read-only, without privileges, under seccomp. */
export function expectHardenedPod(pod: IPodSpec): void {
  expect(pod.securityContext).toMatchObject({
    runAsNonRoot: true,
    runAsUser: 10001,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  expect(pod.automountServiceAccountToken).toBe(false);
  for (const container of pod.containers) {
    expect(container.securityContext, container.name).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const tmp = container.volumeMounts?.find((m) => m.mountPath === '/tmp');
    expect(tmp, `${container.name} mounts a writable /tmp`).toBeDefined();
    expect(pod.volumes?.find((v) => v.name === tmp!.name)?.emptyDir).toBeDefined();
  }
}

/** Splits `registry/name:tag[@digest]` into name and tag (null when untagged). */
export function imageReference(image: string): { name: string; tag: string | null } {
  const withoutDigest = image.split('@')[0]!;
  const colon = withoutDigest.lastIndexOf(':');
  if (colon <= withoutDigest.lastIndexOf('/')) return { name: withoutDigest, tag: null };
  return { name: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1) };
}

/** Asserts every container image carries an explicit version tag (never `latest`). */
export function expectPinnedImages(pod: IPodSpec): void {
  for (const container of pod.containers) {
    const { tag } = imageReference(container.image!);
    expect(tag, `${container.name} image ${container.image} has a tag`).not.toBeNull();
    expect(tag).not.toBe('latest');
    expect(tag).toMatch(/^\d+\.\d+\.\d+/);
    expect(container.imagePullPolicy).toBe('IfNotPresent');
  }
}

/** Asserts that secret variables are never plain values: only `secretKeyRef`s. */
export function expectSecretsByReference(container: IContainer): void {
  for (const variable of container.env ?? []) {
    if ((SECRET_VARIABLES as readonly string[]).includes(variable.name)) {
      expect(variable.value, `${variable.name} is not a literal value`).toBeUndefined();
      expect(variable.valueFrom?.secretKeyRef, `${variable.name} comes from a Secret`).toBeDefined();
    }
  }
}

/** Converts a Go duration of whole units (`25s`, `750ms`, `1m`) to seconds. */
export function goDurationSeconds(value: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value);
  if (match === null) throw new Error(`not a simple Go duration: ${value}`);
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}
