// What a consumer of the packages, or a developer in a checkout, meets: a licence beside every package, the
// Node.js range that is tested, source maps that resolve inside the published tarball, the fake engine kept
// out of the registry, the producer using its caller's bullmq, and the workspace bins runnable by name.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/repo.js';

const run = promisify(execFile);

interface PackageJson {
  name: string;
  version: string;
  private?: boolean;
  license?: string;
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const PACKAGES = [
  'risk-client',
  'moderation-producer',
  'moderation-worker',
  'fake-risk-engine',
  'test-support',
];

async function packageJson(dir: string): Promise<PackageJson> {
  return JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** The files `npm pack` would put in the package's tarball (offline: --dry-run reads the disk only). */
async function packedFiles(dir: string): Promise<string[]> {
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir });
  const [report] = JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>;
  return report!.files.map((file) => file.path);
}

describe('the packages', () => {
  it('carry an MIT licence file at the root and in every package, as their package.json says', async () => {
    for (const dir of ['.', ...PACKAGES.map((name) => `packages/${name}`)]) {
      const licence = await readFile(path.join(REPO_ROOT, dir, 'LICENSE'), 'utf8');
      expect(licence.startsWith('MIT License'), dir).toBe(true);
      expect((await packageJson(path.join(REPO_ROOT, dir))).license, dir).toBe('MIT');
    }
  });

  it("declare the root's tested Node.js range in engines", async () => {
    const range = (await packageJson(REPO_ROOT)).engines?.node;
    expect(range).toBe('>=20.19');
    for (const name of PACKAGES) {
      expect((await packageJson(path.join(REPO_ROOT, 'packages', name))).engines?.node, name).toBe(range);
    }
  });

  it('keep the fake engine and the test support out of the registry', async () => {
    for (const name of ['fake-risk-engine', 'test-support']) {
      expect((await packageJson(path.join(REPO_ROOT, 'packages', name))).private, name).toBe(true);
    }
  });

  it('ship every source a published source map points at, and no test file', async () => {
    for (const name of ['risk-client', 'moderation-producer', 'moderation-worker']) {
      const dir = path.join(REPO_ROOT, 'packages', name);
      const files = await packedFiles(dir);
      expect(files, name).toContain('LICENSE');
      expect(
        files.filter((file) => file.endsWith('.test.ts') || file.includes('test-support')),
        name,
      ).toEqual([]);
      const maps = files.filter((file) => file.endsWith('.map'));
      expect(maps.length, name).toBeGreaterThan(0);
      for (const map of maps) {
        const { sources } = JSON.parse(await readFile(path.join(dir, map), 'utf8')) as { sources: string[] };
        for (const source of sources) {
          const shipped = path.normalize(path.join(path.dirname(map), source));
          expect(files, `${name}: ${map} -> ${source}`).toContain(shipped);
        }
      }
    }
  });

  it("leave bullmq and ioredis to the producer's caller: peer dependencies, never its own copy", async () => {
    const producer = await packageJson(path.join(REPO_ROOT, 'packages/moderation-producer'));
    expect(Object.keys(producer.peerDependencies ?? {}).sort()).toEqual(['bullmq', 'ioredis']);
    expect(Object.keys(producer.dependencies ?? {})).toEqual(['zod']);
    // The worker uses the producer's contract, at the workspace's version.
    const worker = await packageJson(path.join(REPO_ROOT, 'packages/moderation-worker'));
    expect(worker.dependencies?.['@geoduels/moderation-producer']).toBe(producer.version);
  });

  it('run the workspace bins by name from a checkout and answer --version with their own version', async () => {
    for (const [bin, name] of [
      ['moderation-worker', 'moderation-worker'],
      ['fake-risk-engine', 'fake-risk-engine'],
    ] as const) {
      expect(existsSync(path.join(REPO_ROOT, 'node_modules/.bin', bin)), bin).toBe(true);
      const { stdout } = await run('npx', ['--no-install', bin, '--version'], { cwd: REPO_ROOT });
      expect(stdout.trim(), bin).toBe((await packageJson(path.join(REPO_ROOT, 'packages', name))).version);
    }
  });
});
