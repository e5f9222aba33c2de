import { FACTS_VERSION } from '@geoduels/risk-client/signals';
import { DETECTOR_VERSION } from '../detectors/index.js';
import type { HostileVariant } from './faults.js';

/** Nesting depth of the `deep_nesting` payload. */
export const HOSTILE_NESTING_DEPTH = 10_000;
/** Length of each of the three long strings of `huge_strings` (the body stays under 1 MiB). */
export const HOSTILE_STRING_LENGTH = 300_000;

const head = `"detectorVersion":"${DETECTOR_VERSION}","factsVersion":"${FACTS_VERSION}"`;

function signal(subject: string, extra: string): string {
  return (
    `{"subjectUserId":${JSON.stringify(subject)},"signalType":"gameplay_integrity","detectorKey":"hostile",` +
    `"detectorVersion":"${DETECTOR_VERSION}","severity":"high","evidenceStrength":"strong","recommendedQueue":true,` +
    `"score":1,"occurredAt":"2026-01-01T00:00:00Z",${extra}}`
  );
}

// Built as text, not objects: `__proto__` keys and extreme depth cannot survive JSON.stringify.
const builders: Record<HostileVariant, (subject: string) => string> = {
  deep_nesting: (s) => {
    const depth = HOSTILE_NESTING_DEPTH;
    const nested = '{"d":'.repeat(depth) + '"bottom"' + '}'.repeat(depth);
    return `{${head},"signals":[${signal(s, `"reasonCode":"deep_payload","payload":{"nested":${nested}}`)}]}`;
  },
  huge_strings: (s) => {
    const long = (c: string) => c.repeat(HOSTILE_STRING_LENGTH);
    const extra = `"reasonCode":"${long('r')}","payload":{"blob":"${long('p')}","note":"${long('n')}"}`;
    return `{${head},"signals":[${signal(s, extra)}]}`;
  },
  wrong_types: (s) =>
    `{${head},"signals":[null,42,"signal",[],{"subjectUserId":${JSON.stringify(s)},"severity":["high"],` +
    `"score":"0.9","recommendedQueue":"yes","payload":"opaque","occurredAt":0,"reasonCode":{"code":1}}]}`,
  proto_keys: (s) =>
    `{"__proto__":{"polluted":"top"},${head},"signals":[` +
    signal(
      s,
      `"__proto__":{"isAdmin":true},"reasonCode":"proto_keys",` +
        `"payload":{"__proto__":{"polluted":"payload"},"constructor":{"prototype":{"polluted":"ctor"}},"ok":1}`,
    ) +
    ']}',
};

/** A parseable, hostile 200 body whose signals name `subject` (a player of the request when known). */
export function hostileBody(variant: HostileVariant, subject: string): string {
  return builders[variant](subject);
}
