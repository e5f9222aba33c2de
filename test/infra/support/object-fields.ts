// The walk the finders share: every field of a rendered object, with where it is.

/** One field of an object: its key, its value, and its path (`spec.template.spec.volumes[0].secret`). */
export interface ObjectField {
  key: string;
  value: unknown;
  path: string;
}

/**
 * Visits every field below `value`, depth first, array items by index. `visit` returns true when it
 * took the field whole, and the walk does not go below it.
 */
export function walkFields(value: unknown, visit: (field: ObjectField) => boolean, path = ''): void {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) walkFields(item, visit, `${path}[${i}]`);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value)) {
    const at = path === '' ? key : `${path}.${key}`;
    if (!visit({ key, value: child, path: at })) walkFields(child, visit, at);
  }
}
