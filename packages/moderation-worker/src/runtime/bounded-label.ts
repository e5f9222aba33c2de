// Label values that come from outside (the engine's detector keys) must not grow the number of
// series without bound: a misbehaving engine could otherwise mint a new series per signal.

/** The label value of every value beyond the bound, and of every value that is not a plain key. */
export const OTHER_LABEL = 'other';
/** The label value of a missing value (a signal without a detector key). */
export const NONE_LABEL = 'none';

// Short identifiers only: anything else (spaces, quotes, a 200-character key) is folded too.
const PLAIN_KEY = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Maps open-ended values onto at most `limit` distinct label values, first come first kept: the
 * first `limit` plain keys seen keep their own value, every later one becomes {@link OTHER_LABEL}.
 * `null` is {@link NONE_LABEL}, which does not count against the limit.
 */
export function boundedLabel(limit: number): (value: string | null) => string {
  const kept = new Set<string>();
  return (value) => {
    if (value === null) return NONE_LABEL;
    if (kept.has(value)) return value;
    if (!PLAIN_KEY.test(value) || value === NONE_LABEL || value === OTHER_LABEL || kept.size >= limit) {
      return OTHER_LABEL;
    }
    kept.add(value);
    return value;
  };
}
