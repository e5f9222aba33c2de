// A package-lock.json for a scratch project that installs packed workspace packages, cut out of the
// repository's own lockfile. `npm ci` caches tarballs, not registry metadata, so `npm install --offline`
// can resolve nothing by range; with this lockfile it needs no resolving at all, only cached tarballs.

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  license?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  engines?: Record<string, string>;
  optional?: boolean;
  [field: string]: unknown;
}

/** A repository lockfile (v3). */
export interface Lockfile {
  name?: string;
  requires?: boolean;
  lockfileVersion: number;
  packages: Record<string, LockEntry>;
}

/** A workspace package packed by `npm pack`: its name and the tarball's file name and integrity. */
export interface PackedWorkspace {
  name: string;
  filename: string;
  integrity: string;
}

const NODE_MODULES = '/node_modules/';

// Where `dependency` resolves from the package at `from`, node's way: the nearest node_modules up.
function resolveFrom(packages: Lockfile['packages'], from: string, dependency: string): string | undefined {
  let at = from;
  for (;;) {
    const candidate = at === '' ? `node_modules/${dependency}` : `${at}${NODE_MODULES}${dependency}`;
    if (packages[candidate] !== undefined) return candidate;
    if (at === '') return undefined;
    const up = at.lastIndexOf(NODE_MODULES);
    at = up < 0 ? '' : at.slice(0, up);
  }
}

function requiredEdges(entry: LockEntry): string[] {
  const optionalPeers = entry.peerDependenciesMeta ?? {};
  return [
    ...Object.keys(entry.dependencies ?? {}),
    ...Object.keys(entry.optionalDependencies ?? {}),
    ...Object.keys(entry.peerDependencies ?? {}).filter((name) => optionalPeers[name]?.optional !== true),
  ];
}

/**
 * The scratch project's lockfile: its `dependencies` (the packed workspaces as `file:` tarballs, the rest
 * at versions the repository's lockfile has) and every package they reach, at the places the repository's
 * lockfile put them (a workspace's own nested dependencies move under its new node_modules place).
 */
export function scratchLockfile(
  repo: Lockfile,
  name: string,
  dependencies: Record<string, string>,
  packed: PackedWorkspace[],
): Lockfile {
  const byName = new Map(packed.map((workspace) => [workspace.name, workspace]));
  const out: Record<string, LockEntry> = { '': { name, dependencies } };
  // Repository location -> scratch location.
  const moved = (location: string): string => {
    for (const [original, target] of workspaceDirs) {
      if (location === original || location.startsWith(`${original}/`))
        return target + location.slice(original.length);
    }
    return location;
  };
  const workspaceDirs = new Map<string, string>();
  const pending: Array<{ from: string; dependency: string }> = Object.keys(dependencies).map(
    (dependency) => ({
      from: '',
      dependency,
    }),
  );
  const seen = new Set<string>();
  while (pending.length > 0) {
    const { from, dependency } = pending.pop()!;
    let location = resolveFrom(repo.packages, from, dependency);
    if (location === undefined) throw new Error(`${dependency} (needed by "${from}") is not in the lockfile`);
    const link = repo.packages[location]!;
    const workspace = byName.get(dependency);
    if (link.link === true) {
      if (workspace === undefined) throw new Error(`${dependency} is a workspace that was not packed`);
      workspaceDirs.set(link.resolved!, `node_modules/${dependency}`);
      location = link.resolved!;
    }
    if (seen.has(location)) continue;
    seen.add(location);
    const entry = repo.packages[location]!;
    // The repository's dev/peer flags say how the repository reached a package, not how the scratch does.
    const {
      dev: _dev,
      devOptional: _devOptional,
      peer: _peer,
      devDependencies: _devDependencies,
      ...kept
    } = entry;
    out[moved(location)] =
      workspace === undefined
        ? kept
        : { ...kept, resolved: `file:${workspace.filename}`, integrity: workspace.integrity };
    for (const next of requiredEdges(entry)) pending.push({ from: location, dependency: next });
  }
  return { name, lockfileVersion: 3, requires: true, packages: out };
}
