import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/repo.js';

const exec = promisify(execFile);
const SCRIPT = path.join(REPO_ROOT, 'scripts/release-packages.mjs');

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  publishConfig?: { registry?: string };
  repository?: { url: string; directory: string };
  dependencies?: Record<string, string>;
}

const roots: string[] = [];
afterEach(async () => {
  await Promise.all(roots.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** A throwaway copy of the repository's manifests (root + every workspace), as the release job edits them. */
async function manifestCopy(): Promise<{ root: string; workspaces: string[] }> {
  const root = await mkdtemp(path.join(tmpdir(), 'release-packages-'));
  roots.push(root);
  await cp(path.join(REPO_ROOT, 'package.json'), path.join(root, 'package.json'));
  const { workspaces } = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    workspaces: string[];
  };
  for (const dir of workspaces) {
    await mkdir(path.join(root, dir), { recursive: true });
    await cp(path.join(REPO_ROOT, dir, 'package.json'), path.join(root, dir, 'package.json'));
  }
  return { root, workspaces };
}

async function release(root: string, args: string[]) {
  try {
    const { stdout } = await exec(process.execPath, [SCRIPT, ...args, '--root', root]);
    return { ok: true, output: stdout };
  } catch (error) {
    return { ok: false, output: String((error as { stderr?: string }).stderr) };
  }
}

async function manifests(root: string, workspaces: string[]): Promise<Map<string, Manifest>> {
  const entries = await Promise.all(
    workspaces.map(async (dir) => [
      dir,
      JSON.parse(await readFile(path.join(root, dir, 'package.json'), 'utf8')),
    ]),
  );
  return new Map(entries as [string, Manifest][]);
}

describe('scripts/release-packages.mjs (the release job: version from the tag, scope of the owner)', () => {
  it("gives every public workspace the tag's version, the owner's scope and registry, and aliases their links", async () => {
    const { root, workspaces } = await manifestCopy();
    const before = await manifests(root, workspaces);
    const result = await release(root, [
      '--tag',
      'v1.4.0-rc.2',
      '--owner',
      'SourceLocation',
      '--repository',
      'SourceLocation/geoduels-moderation',
    ]);
    expect(result.ok, result.output).toBe(true);
    const after = await manifests(root, workspaces);
    const published = workspaces.filter((dir) => before.get(dir)!.private !== true);
    expect(published).toEqual(expect.arrayContaining(['packages/risk-client', 'packages/moderation-worker']));
    for (const dir of workspaces) {
      const was = before.get(dir)!;
      const now = after.get(dir)!;
      if (was.private === true) {
        expect(now, `${dir} is private: untouched`).toEqual(was);
        continue;
      }
      expect(now.name).toBe(was.name.replace('@geoduels/', '@sourcelocation/'));
      expect(now.version).toBe('1.4.0-rc.2');
      expect(now.publishConfig?.registry).toBe('https://npm.pkg.github.com');
      expect(now.repository).toEqual({
        type: 'git',
        url: 'git+https://github.com/SourceLocation/geoduels-moderation.git',
        directory: dir,
      });
      expect(result.output).toContain(`release: ${now.name}@1.4.0-rc.2 (${dir})`);
    }
    // The worker still imports @geoduels/risk-client: an alias to the published name, at exactly this version.
    expect(after.get('packages/moderation-worker')!.dependencies?.['@geoduels/risk-client']).toBe(
      'npm:@sourcelocation/risk-client@1.4.0-rc.2',
    );
  });

  it('keeps the names and pins exact versions when the owner is geoduels', async () => {
    const { root, workspaces } = await manifestCopy();
    const result = await release(root, [
      '--tag',
      'v2.0.0',
      '--owner',
      'geoduels',
      '--repository',
      'geoduels/moderation',
    ]);
    expect(result.ok, result.output).toBe(true);
    const worker = (await manifests(root, workspaces)).get('packages/moderation-worker')!;
    expect(worker.name).toBe('@geoduels/moderation-worker');
    expect(worker.dependencies?.['@geoduels/risk-client']).toBe('2.0.0');
  });

  it('refuses a tag that is not v<semver>, a bad owner or repository, naming it, and edits nothing', async () => {
    const { root, workspaces } = await manifestCopy();
    const before = await manifests(root, workspaces);
    const cases: [string[], string][] = [
      [['--tag', '1.2.3', '--owner', 'o', '--repository', 'o/r'], 'tag "1.2.3" is not v<semver>'],
      [['--tag', 'v1.2', '--owner', 'o', '--repository', 'o/r'], 'tag "v1.2" is not v<semver>'],
      [['--tag', 'v1.2.3', '--owner', '-bad-', '--repository', 'o/r'], 'owner "-bad-" is not a GitHub'],
      [['--tag', 'v1.2.3', '--owner', 'o', '--repository', 'no-slash'], 'repository "no-slash" is not'],
      [['--tag', 'v1.2.3', '--owner', 'o', '--repository', 'o/r', '--bogus', 'x'], 'bad argument "--bogus"'],
    ];
    for (const [args, message] of cases) {
      const result = await release(root, args);
      expect(result.ok, args.join(' ')).toBe(false);
      expect(result.output).toContain(message);
    }
    expect(await manifests(root, workspaces)).toEqual(before);
  });
});
