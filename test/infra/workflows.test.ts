import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { validateWorkflow } from '@action-validator/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PRODUCTION_GO_WORKER_IMAGE, WORKER_IMAGE } from './support/image-names.js';
import { REPO_ROOT } from './support/repo.js';

const exec = promisify(execFile);

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  strategy?: { matrix?: Record<string, unknown[]> };
  services?: Record<string, { image: string; env?: Record<string, string>; options?: string }>;
  steps: Step[];
  needs?: string | string[];
}
interface Workflow {
  on: Record<string, unknown>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const WORKFLOWS = path.join(REPO_ROOT, '.github/workflows');
const sources = new Map<string, string>();

beforeAll(async () => {
  for (const file of await readdir(WORKFLOWS)) {
    if (/\.ya?ml$/.test(file)) sources.set(file, await readFile(path.join(WORKFLOWS, file), 'utf8'));
  }
});

function workflow(file: string): Workflow {
  const source = sources.get(file);
  if (source === undefined) throw new Error(`.github/workflows/${file} is missing`);
  return parse(source) as Workflow;
}

function allSteps(wf: Workflow): Step[] {
  return Object.values(wf.jobs).flatMap((job) => job.steps);
}

describe('.github/workflows', () => {
  it('passes the GitHub workflow schema check (action-validator) for every workflow file', () => {
    expect([...sources.keys()].sort()).toEqual(['ci.yml', 'release.yml']);
    for (const [file, source] of sources) {
      const state = validateWorkflow(source);
      expect(state.errors, `${file}: ${JSON.stringify(state.errors, null, 2)}`).toEqual([]);
    }
  });

  it('ci.yml runs the same npm steps as .ci/run, in order', async () => {
    const script = await readFile(path.join(REPO_ROOT, '.ci/run'), 'utf8');
    const expected = script
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.startsWith('npm '));
    expect(expected.length).toBeGreaterThan(0);
    const steps = allSteps(workflow('ci.yml'));
    expect(steps.flatMap((s) => (s.run?.startsWith('npm ') ? [s.run.trim()] : []))).toEqual(expected);
    const uses = steps.map((s) => s.uses?.split('@')[0]);
    expect(uses.slice(0, 2)).toEqual(['actions/checkout', 'actions/setup-node']);
    // A GitHub expression, not a JavaScript template: the node version comes from the job's matrix.
    const matrixNode = ['$', '{{ matrix.node }}'].join('');
    expect(steps.find((s) => s.uses?.startsWith('actions/setup-node'))?.with?.['node-version']).toBe(
      matrixNode,
    );
    // The shipped runtime (the images' node:24) is among the tested ones.
    const [job] = Object.values(workflow('ci.yml').jobs);
    expect(job!.strategy?.matrix?.node).toContain(24);
    expect(uses).toContain('azure/setup-kubectl');
  });

  it('.ci/run tests on the Node.js major both images ship, installing it when the machine has an older one', async () => {
    const script = await readFile(path.join(REPO_ROOT, '.ci/run'), 'utf8');
    expect(script).toMatch(/^source \.ci\/node24\.sh$/m);
    const lines = script.split('\n');
    expect(lines.findIndex((l) => l.startsWith('source .ci/node24.sh'))).toBeLessThan(
      lines.findIndex((l) => l.startsWith('npm ci')),
    );
    const runtime = await readFile(path.join(REPO_ROOT, '.ci/node24.sh'), 'utf8');
    const major = Number(runtime.match(/^required_major=(\d+)$/m)?.[1]);
    for (const image of ['moderation-worker', 'fake-risk-engine']) {
      const dockerfile = await readFile(path.join(REPO_ROOT, `packages/${image}/Dockerfile`), 'utf8');
      const shipped = [...dockerfile.matchAll(/^FROM node:(\d+)/gm)].map((m) => Number(m[1]));
      expect(shipped.length, image).toBeGreaterThan(0);
      for (const version of shipped) expect(version, image).toBe(major);
    }
  });

  it('ci.yml provides PostgreSQL 15 (trust auth, database test) and Redis 7 with health checks', () => {
    const [job] = Object.values(workflow('ci.yml').jobs);
    expect(job!.services?.postgres?.image).toBe('postgres:15');
    expect(job!.services?.postgres?.env).toMatchObject({
      POSTGRES_HOST_AUTH_METHOD: 'trust',
      POSTGRES_DB: 'test',
    });
    expect(job!.services?.redis?.image).toBe('redis:7');
    for (const service of Object.values(job!.services!)) expect(service.options).toMatch(/--health-cmd/);
  });

  it('release.yml builds and pushes both images from the repo root on v* tags', () => {
    const wf = workflow('release.yml');
    expect(wf.on).toEqual({ push: { tags: ['v*'] } });
    expect(wf.env?.REGISTRY).toContain("format('ghcr.io/{0}', github.repository_owner)");
    const builds = allSteps(wf).filter((s) => s.uses?.startsWith('docker/build-push-action@'));
    expect(builds.map((b) => b.with?.file).sort()).toEqual([
      'packages/fake-risk-engine/Dockerfile',
      'packages/moderation-worker/Dockerfile',
    ]);
    for (const build of builds) {
      expect(build.with).toMatchObject({ context: '.', push: true });
      expect(String(build.with?.tags)).toMatch(
        /\/geoduels-(risk-analysis-worker|fake-risk-engine):\$\{\{ steps\.meta\.outputs\.version \}\}$/,
      );
    }
  });

  it('release.yml pins the new tags in the ops repository through a pull request, and never migrates', () => {
    const wf = workflow('release.yml');
    expect(wf.env?.OPS_REPOSITORY).toContain("'sourcelocation/geoduels-prod'");
    const steps = allSteps(wf);
    const checkout = steps.find((s) => s.with?.repository !== undefined);
    expect(String(checkout?.with?.token)).toMatch(/^\$\{\{ secrets\.OPS_REPO_TOKEN \}\}$/);
    const scripts = steps.map((s) => s.run ?? '').join('\n');
    expect(scripts).toMatch(/kustomize edit set image/);
    expect(scripts).toMatch(/gh pr create --repo "\$OPS_REPOSITORY"/);
    expect(scripts).not.toMatch(/migrate (up|down)|kubectl (apply|create|delete)/);
  });

  it("release.yml pins only the risk-analysis worker's image, never the production Go worker's", () => {
    const wf = workflow('release.yml');
    const pin = allSteps(wf).find((s) => s.run?.includes('kustomize edit set image'))!.run!;
    expect(pin).toContain(`"${WORKER_IMAGE}=$TARGET/geoduels-risk-analysis-worker:$VERSION@$WORKER_DIGEST"`);
    expect(sources.get('release.yml')).not.toMatch(
      new RegExp(`${PRODUCTION_GO_WORKER_IMAGE.split('/').at(-1)}[:=@]`),
    );
  });

  it('release.yml takes PRODUCTION_SITE_URL from a repository variable, https://geoduels.io by default', () => {
    const wf = workflow('release.yml');
    expect(wf.env?.PRODUCTION_SITE_URL).toMatch(
      /^\$\{\{ vars\.PRODUCTION_SITE_URL \|\| 'https:\/\/geoduels\.io' \}\}$/,
    );
  });

  it('release.yml refuses a PRODUCTION_SITE_URL that is not an http(s) URL before pushing anything', async () => {
    const meta = allSteps(workflow('release.yml')).find((s) => s.id === 'meta')!;
    const run = async (site: string) => {
      const dir = await mkdtemp(path.join(tmpdir(), 'release-meta-'));
      const output = path.join(dir, 'output');
      await writeFile(output, '');
      try {
        const env = { TAG: 'v1.2.3', REGISTRY: 'ghcr.io/SourceLocation', PRODUCTION_SITE_URL: site };
        await exec('bash', ['-e', '-c', meta.run!], {
          cwd: REPO_ROOT,
          env: { ...process.env, ...env, GITHUB_OUTPUT: output },
        });
        return { ok: true, output: await readFile(output, 'utf8') };
      } catch (error) {
        return { ok: false, output: String((error as { stdout?: string }).stdout) };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    };
    const good = await run('https://geoduels.io');
    expect(good.ok).toBe(true);
    expect(good.output).toContain('version=1.2.3\n');
    const bad = ['', 'geoduels.io', 'https://', 'https://geo duels.io', 'ftp://geoduels.io'];
    const results = await Promise.all(bad.map(run));
    results.forEach((result, i) => {
      expect(result.ok, JSON.stringify(bad[i])).toBe(false);
      expect(result.output).toContain('::error::PRODUCTION_SITE_URL');
    });
  });

  it('release.yml puts post-deploy checks against PRODUCTION_SITE_URL into the ops pull request', async () => {
    const step = allSteps(workflow('release.yml')).find((s) => s.run?.includes('gh pr create'))!;
    const dir = await mkdtemp(path.join(tmpdir(), 'release-pr-'));
    try {
      // Stand-ins for git (no-op) and gh (records its arguments, one per line).
      await writeFile(path.join(dir, 'git'), '#!/bin/sh\nexit 0\n');
      await writeFile(path.join(dir, 'gh'), `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/gh-args"\n`);
      await chmod(path.join(dir, 'git'), 0o755);
      await chmod(path.join(dir, 'gh'), 0o755);
      await exec('bash', ['-e', '-c', step.run!], {
        cwd: dir,
        env: {
          ...process.env,
          PATH: `${dir}:${process.env.PATH}`,
          PRODUCTION_SITE_URL: 'https://staging.geoduels.example/',
          OPS_REPOSITORY: 'sourcelocation/geoduels-prod',
          VERSION: '1.2.3',
          SCHEMA_VERSION: '1',
          SOURCE_URL: 'https://github.com/sourcelocation/x/releases/tag/v1.2.3',
        },
      });
      const args = await readFile(path.join(dir, 'gh-args'), 'utf8');
      expect(args).toContain('--title\nrisk-analysis-worker 1.2.3\n');
      expect(args).toContain('Post-deploy checks on https://staging.geoduels.example (');
      expect(args).toContain("-w '%{http_code}\\n' https://staging.geoduels.example/`");
      expect(args).toContain('a ranked duel finished on https://staging.geoduels.example gets a');
      expect(args).toContain('`moderation-worker check` passes in a `risk-analysis-worker` pod');
      expect(args).toContain('`kubectl exec deploy/risk-analysis-worker -- ');
      expect(args).not.toContain('geoduels.io');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
