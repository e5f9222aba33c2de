#!/usr/bin/env node
// Release step of .github/workflows/release.yml: gives every publishable workspace (not `private`) the
// tag's version, the scope the GitHub npm registry demands (the repository owner's), the registry and
// the repository link, rewrites their dependencies on each other to that exact version, and packs them.
//
//   node scripts/release-packages.mjs --tag v1.2.3 --owner SourceLocation --repository SourceLocation/geoduels-moderation \
//     [--pack <dir>] [--root <dir>]
//
// The GitHub npm registry only takes packages scoped with the owner's name. When the owner is not
// `geoduels`, `@geoduels/risk-client` is published as `@<owner>/risk-client`, and a dependent package
// depends on it through an npm alias (`"@geoduels/risk-client": "npm:@<owner>/risk-client@1.2.3"`), so
// its code keeps importing `@geoduels/risk-client`; consumers do the same (README, Installing).
// It edits the package.json files in place: run it on a throwaway checkout (CI's), never on a working copy.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REGISTRY = 'https://npm.pkg.github.com';
const SOURCE_SCOPE = '@geoduels';
const SEMVER_TAG = /^v(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$/;
// GitHub user and organisation names: alphanumerics and single inner hyphens, at most 39.
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const REPOSITORY = /^[A-Za-z0-9-]{1,39}\/[A-Za-z0-9._-]{1,100}$/;

/** The version a `v<semver>` tag names; throws naming the tag otherwise. */
export function versionFromTag(tag) {
  const match = SEMVER_TAG.exec(tag ?? '');
  if (!match) throw new Error(`tag "${tag}" is not v<semver> (for example v1.2.3 or v1.2.3-rc.1)`);
  return match[1];
}

/** `@geoduels/x` renamed into the registry scope of `owner` (npm scopes are lower case). */
export function publishedName(name, owner) {
  if (!OWNER.test(owner ?? '')) throw new Error(`owner "${owner}" is not a GitHub user or organisation name`);
  if (!name.startsWith(`${SOURCE_SCOPE}/`))
    throw new Error(`package ${name} is not in the ${SOURCE_SCOPE} scope`);
  return `@${owner.toLowerCase()}/${name.slice(SOURCE_SCOPE.length + 1)}`;
}

/**
 * The release manifests: every publishable workspace's package.json as it will be published, keyed by
 * workspace directory. Pure: takes and returns parsed manifests.
 */
export function releaseManifests(workspaces, { version, owner, repository }) {
  if (!REPOSITORY.test(repository ?? '')) throw new Error(`repository "${repository}" is not <owner>/<name>`);
  const publishable = workspaces.filter(({ manifest }) => manifest.private !== true);
  const renamed = new Map(
    publishable.map(({ manifest }) => [manifest.name, publishedName(manifest.name, owner)]),
  );
  const result = new Map();
  for (const { dir, manifest } of publishable) {
    const next = structuredClone(manifest);
    next.name = renamed.get(manifest.name);
    next.version = version;
    next.publishConfig = { ...manifest.publishConfig, registry: REGISTRY };
    next.repository = { type: 'git', url: `git+https://github.com/${repository}.git`, directory: dir };
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const dependency of Object.keys(next[field] ?? {})) {
        if (!dependency.startsWith(`${SOURCE_SCOPE}/`)) continue;
        const target = renamed.get(dependency);
        if (target === undefined) {
          throw new Error(`${manifest.name} depends on ${dependency}, which is private and is not published`);
        }
        next[field][dependency] = target === dependency ? version : `npm:${target}@${version}`;
      }
    }
    result.set(dir, next);
  }
  return result;
}

function readWorkspaces(root) {
  const rootManifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  return rootManifest.workspaces.map((dir) => ({
    dir,
    manifest: JSON.parse(readFileSync(path.join(root, dir, 'package.json'), 'utf8')),
  }));
}

function parseArgs(argv) {
  const options = { root: process.cwd(), pack: undefined };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined || !['--tag', '--owner', '--repository', '--pack', '--root'].includes(flag)) {
      throw new Error(
        `usage: release-packages.mjs --tag vX.Y.Z --owner <owner> --repository <owner/name> [--pack <dir>] [--root <dir>] (bad argument "${flag}")`,
      );
    }
    options[flag.slice(2)] = value;
  }
  return options;
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  const version = versionFromTag(options.tag);
  const manifests = releaseManifests(readWorkspaces(options.root), { version, ...options });
  for (const [dir, manifest] of manifests) {
    writeFileSync(path.join(options.root, dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    console.log(`release: ${manifest.name}@${manifest.version} (${dir})`);
  }
  if (options.pack !== undefined) {
    const destination = path.resolve(options.root, options.pack);
    mkdirSync(destination, { recursive: true });
    for (const dir of manifests.keys()) {
      execFileSync('npm', ['pack', '--pack-destination', destination], {
        cwd: path.join(options.root, dir),
        stdio: 'inherit',
      });
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    main();
  } catch (error) {
    console.error(`release-packages: ${error.message}`);
    process.exit(1);
  }
}
export const SCRIPT = fileURLToPath(import.meta.url);
