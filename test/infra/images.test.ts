import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { copySpec, envKeys, execForm, parseDockerfile, type Stage } from './support/dockerfile.js';
import { dockerignoreMatcher } from './support/dockerignore.js';
import { FAKE_ENGINE_IMAGE, PRODUCTION_GO_WORKER_IMAGE, WORKER_IMAGE } from './support/image-names.js';
import { REPO_ROOT } from './support/repo.js';

interface ImageExpectation {
  dockerfile: string;
  /** The repository the image is pushed to and pinned under. */
  name: string;
  port: number;
  entryScript: string;
  /** A numeric uid is required where the manifests pin runAsUser to it. */
  user: string | null;
}

const images: ImageExpectation[] = [
  {
    dockerfile: 'packages/moderation-worker/Dockerfile',
    name: WORKER_IMAGE,
    port: 8093,
    entryScript: 'packages/moderation-worker/dist/cli.js',
    user: '10001',
  },
  {
    dockerfile: 'packages/fake-risk-engine/Dockerfile',
    name: FAKE_ENGINE_IMAGE,
    port: 8096,
    entryScript: 'packages/fake-risk-engine/dist/bin.js',
    user: null,
  },
];

const SECRET_NAME = /TOKEN|PASSWORD|SECRET|API_KEY|PRIVATE|POSTGRES_URL|REDIS_URL|WEBHOOK/i;

let isIgnored: (path: string) => boolean;

beforeAll(async () => {
  isIgnored = dockerignoreMatcher(await readFile(path.join(REPO_ROOT, '.dockerignore'), 'utf8'));
});

function finalStage(stages: Stage[]): Stage {
  return stages.at(-1)!;
}

function lastArgs(stage: Stage, keyword: string): string | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1)?.args;
}

describe('.dockerignore', () => {
  it('keeps dependencies, build output, git history and env files out of the build context', () => {
    for (const excluded of [
      'node_modules',
      'packages/moderation-worker/node_modules',
      'packages/risk-client/dist',
      '.git',
      '.env',
      'packages/moderation-worker/.env',
    ]) {
      expect(isIgnored(excluded), excluded).toBe(true);
    }
    expect(isIgnored('packages/moderation-worker/src/cli.ts')).toBe(false);
  });

  it("keeps the test workspaces' code out of the build context, but not their manifests", () => {
    for (const code of ['test/e2e/analysis.test.ts', 'packages/test-support/src/index.ts']) {
      expect(isIgnored(code), code).toBe(true);
    }
    for (const manifest of ['test/package.json', 'packages/test-support/package.json']) {
      expect(isIgnored(manifest), manifest).toBe(false);
    }
  });
});

describe.each(images)('$dockerfile', (image) => {
  let stages: Stage[];

  beforeAll(async () => {
    const file = path.join(REPO_ROOT, image.dockerfile);
    if (!existsSync(file)) throw new Error(`${image.dockerfile} does not exist`);
    stages = parseDockerfile(await readFile(file, 'utf8'));
  });

  it('builds in stages from a Node LTS base pinned to a version tag', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) {
      const match = /^(?:docker\.io\/(?:library\/)?)?node:(\d+)[\w.-]*$/.exec(stage.image);
      expect(match, `${stage.image} is node:<version>`).not.toBeNull();
      const major = Number(match![1]);
      expect(major % 2, `node ${major} is an LTS line`).toBe(0);
      expect(major).toBeGreaterThanOrEqual(20);
    }
  });

  it('installs only production dependencies into the runtime stage', () => {
    const runs = finalStage(stages)
      .instructions.filter((i) => i.keyword === 'RUN')
      .map((i) => i.args);
    const installs = runs.filter((r) => /\bnpm (ci|install)\b/.test(r));
    expect(installs.length).toBeGreaterThan(0);
    for (const install of installs) expect(install).toMatch(/\bnpm ci\b[^&]*--omit=dev/);
  });

  it('copies only files that exist in the context and survive .dockerignore', () => {
    const stageNames = new Set<string>();
    for (const stage of stages) {
      for (const copy of stage.instructions.filter((i) => i.keyword === 'COPY' || i.keyword === 'ADD')) {
        const spec = copySpec(copy.args);
        if (spec.from !== null) {
          expect(stageNames, `line ${copy.line}: --from=${spec.from} names an earlier stage`).toContain(
            spec.from,
          );
          continue;
        }
        for (const source of spec.sources) {
          expect(existsSync(path.join(REPO_ROOT, source)), `line ${copy.line}: ${source} exists`).toBe(true);
          expect(isIgnored(source), `line ${copy.line}: ${source} is not excluded by .dockerignore`).toBe(
            false,
          );
        }
      }
      if (stage.name !== null) stageNames.add(stage.name);
    }
  });

  it('starts node directly in exec form on a script built from existing source', () => {
    const stage = finalStage(stages);
    const entrypoint = lastArgs(stage, 'ENTRYPOINT');
    const cmd = lastArgs(stage, 'CMD');
    const command = [
      ...(entrypoint === undefined ? [] : (execForm(entrypoint) ?? ['<shell form>'])),
      ...(cmd === undefined || entrypoint !== undefined ? [] : (execForm(cmd) ?? ['<shell form>'])),
    ];
    expect(command[0], 'exec form starting with node').toBe('node');
    expect(command[1]).toBe(image.entryScript);
    const source = image.entryScript.replace('/dist/', '/src/').replace(/\.js$/, '.ts');
    expect(existsSync(path.join(REPO_ROOT, source)), `${source} exists`).toBe(true);
    if (cmd !== undefined) expect(execForm(cmd), 'CMD in exec form').not.toBeNull();
  });

  it('copies every workspace manifest before each npm ci, so it sees the workspace set of the lock file', async () => {
    const root = JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      workspaces: string[];
    };
    for (const stage of stages) {
      const ci = stage.instructions.findIndex((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
      if (ci === -1) continue;
      const copied = stage.instructions
        .slice(0, ci)
        .filter((i) => i.keyword === 'COPY')
        .flatMap((i) => copySpec(i.args).sources);
      for (const workspace of root.workspaces) {
        expect(copied, `${stage.name ?? stage.image}: ${workspace}/package.json`).toContain(
          `${workspace}/package.json`,
        );
      }
    }
  });

  it('runs as a non-root user and exposes its real port', () => {
    const stage = finalStage(stages);
    const user = lastArgs(stage, 'USER');
    expect(user, 'USER is set').toBeDefined();
    const uid = user!.split(':')[0]!;
    expect(['root', '0']).not.toContain(uid);
    if (image.user !== null) expect(uid).toBe(image.user);
    const exposed = stage.instructions
      .filter((i) => i.keyword === 'EXPOSE')
      .flatMap((i) => i.args.split(/\s+/));
    expect(exposed.map((p) => Number.parseInt(p, 10))).toEqual([image.port]);
  });

  it('bakes no secrets into the image', () => {
    for (const stage of stages) {
      for (const instruction of stage.instructions) {
        if (instruction.keyword === 'ENV') {
          for (const key of envKeys(instruction.args))
            expect(key, `line ${instruction.line}`).not.toMatch(SECRET_NAME);
        }
        if (instruction.keyword === 'ARG') expect(instruction.args).not.toMatch(SECRET_NAME);
        if (instruction.keyword === 'COPY') {
          expect(instruction.args).not.toMatch(/(^|\s|\/)\.env\b|\.npmrc|id_rsa|\.pem\b/);
        }
      }
    }
  });
});

describe('packages/moderation-worker/Dockerfile', () => {
  it('ships the migrations where `migrate up` resolves them, next to dist/', async () => {
    const stages = parseDockerfile(
      await readFile(path.join(REPO_ROOT, 'packages/moderation-worker/Dockerfile'), 'utf8'),
    );
    const stage = finalStage(stages);
    expect(lastArgs(stage, 'WORKDIR')).toBe('/app');
    const copies = stage.instructions.filter((i) => i.keyword === 'COPY').map((i) => copySpec(i.args));
    expect(copies).toContainEqual({
      from: null,
      sources: ['packages/moderation-worker/db'],
      destination: 'packages/moderation-worker/db',
    });
    expect(existsSync(path.join(REPO_ROOT, 'packages/moderation-worker/db/migrations'))).toBe(true);
    expect(copies.map((c) => c.destination)).toContain('packages/moderation-worker/dist');
    expect(lastArgs(stage, 'CMD')).toBe('["run"]');
  });

  it('builds and ships every workspace package the worker depends on at run time', async () => {
    const stages = parseDockerfile(
      await readFile(path.join(REPO_ROOT, 'packages/moderation-worker/Dockerfile'), 'utf8'),
    );
    const worker = JSON.parse(
      await readFile(path.join(REPO_ROOT, 'packages/moderation-worker/package.json'), 'utf8'),
    ) as { dependencies: Record<string, string> };
    const workspaces = Object.keys(worker.dependencies)
      .filter((name) => name.startsWith('@geoduels/'))
      .map((name) => `packages/${name.slice('@geoduels/'.length)}`);
    expect(workspaces).toContain('packages/moderation-producer');
    const build = stages[0]!.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    const shipped = finalStage(stages)
      .instructions.filter((i) => i.keyword === 'COPY')
      .map((i) => copySpec(i.args).destination);
    for (const workspace of workspaces) {
      expect(build.join('\n'), workspace).toContain(`tsc -p ${workspace}/tsconfig.build.json`);
      expect(shipped, workspace).toContain(`${workspace}/dist`);
    }
  });
});

/** Every file that builds, pushes, pins or documents an image, relative to the repository root. */
async function filesNamingImages(): Promise<string[]> {
  const found: string[] = ['README.md', 'test/README.md', '.github/workflows/release.yml'];
  for (const dir of ['infra', 'docs', 'packages']) {
    const entries = await readdir(path.join(REPO_ROOT, dir), { recursive: true, withFileTypes: true });
    for (const entry of entries) {
      const relative = path.relative(REPO_ROOT, path.join(entry.parentPath, entry.name));
      if (!entry.isFile() || relative.includes('node_modules') || relative.includes(`${path.sep}dist`))
        continue;
      if (dir === 'packages' && !/^packages\/[^/]+\/(Dockerfile|README\.md)$/.test(relative)) continue;
      found.push(relative);
    }
  }
  return found;
}

describe('image names', () => {
  it("names the worker image geoduels-risk-analysis-worker, apart from the production Go worker's", () => {
    expect(WORKER_IMAGE).not.toBe(PRODUCTION_GO_WORKER_IMAGE);
    expect(WORKER_IMAGE).toBe('ghcr.io/sourcelocation/geoduels-risk-analysis-worker');
  });

  it.each(images)('$dockerfile documents the build under its image name', async (image) => {
    const source = await readFile(path.join(REPO_ROOT, image.dockerfile), 'utf8');
    const tags = [...source.matchAll(/docker build [^\n]*-t (\S+)/g)].map((m) => m[1]!.split(':')[0]);
    expect(tags.length).toBeGreaterThan(0);
    for (const tag of tags) expect([image.name, image.name.split('/').at(-1)]).toContain(tag);
  });

  it("never builds, pushes or pins the production Go worker's image, in any manifest, workflow or doc", async () => {
    const goWorker = PRODUCTION_GO_WORKER_IMAGE.split('/').at(-1)!;
    // Naming it in prose is fine; with a tag, digest or `name=` it would be a build, a push or a pin.
    const asReference = new RegExp(`${goWorker}[:@=]`);
    const files = await filesNamingImages();
    expect(files).toContain('infra/k3s/base/deployment.yaml');
    expect(files).toContain('docs/deployment.md');
    for (const file of files) {
      const source = await readFile(path.join(REPO_ROOT, file), 'utf8');
      expect(asReference.exec(source)?.[0], `${file} references the Go worker's image`).toBeUndefined();
    }
  });

  it('uses the worker image name wherever the worker image is built, pinned or documented', async () => {
    for (const file of [
      'infra/k3s/base/deployment.yaml',
      'infra/k3s/base/kustomization.yaml',
      'infra/k3s/jobs/migrate-job.yaml',
      'infra/k3s/jobs/kustomization.yaml',
      'infra/k3s/overlays/k3d/kustomization.yaml',
      '.github/workflows/release.yml',
      'docs/deployment.md',
    ]) {
      const source = await readFile(path.join(REPO_ROOT, file), 'utf8');
      expect(source.includes(WORKER_IMAGE.split('/').at(-1)!), `${file} names the worker image`).toBe(true);
    }
  });
});
