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
  env?: Record<string, string>;
  permissions?: Record<string, string> | string;
  environment?: string | { name: string };
  if?: string;
  uses?: string;
  secrets?: Record<string, string> | string;
  strategy?: { matrix?: Record<string, unknown[]> };
  services?: Record<string, { image: string; env?: Record<string, string>; options?: string }>;
  steps: Step[];
  needs?: string | string[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string> | string;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const WORKFLOWS = path.join(REPO_ROOT, '.github/workflows');
// GITHUB_TOKEN's permission scopes as GitHub documents them (workflow syntax, `permissions`).
const GITHUB_TOKEN_SCOPES = [
  'actions',
  'attestations',
  'checks',
  'contents',
  'deployments',
  'discussions',
  'id-token',
  'issues',
  'models',
  'packages',
  'pages',
  'pull-requests',
  'security-events',
  'statuses',
];
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
  return Object.values(wf.jobs).flatMap((job) => job.steps ?? []);
}

/** Every job of every workflow, as [`file#job`, job]. */
function allJobs(): [string, Job][] {
  return [...sources.keys()].flatMap((file) =>
    Object.entries(workflow(file).jobs).map(([name, job]) => [`${file}#${name}`, job] as [string, Job]),
  );
}

/** The source lines of one job (from its key to the next job's), to see what its YAML text mentions. */
function jobSource(file: string, name: string): string {
  const lines = sources.get(file)!.split('\n');
  const start = lines.findIndex((l) => l === `  ${name}:`);
  const end = lines.findIndex((l, i) => i > start && /^ {2}[A-Za-z0-9_-]+:/.test(l));
  return lines.slice(start, end === -1 ? undefined : end).join('\n');
}

describe('.github/workflows', () => {
  it('passes the GitHub workflow schema check (action-validator) for every workflow file', () => {
    expect([...sources.keys()].sort()).toEqual(['ci.yml', 'release.yml']);
    for (const [file, source] of sources) {
      // action-validator 0.6.0 (the latest) bundles a schema older than the `attestations` permission
      // (GitHub, 2024), so those lines are checked below against the documented scopes instead.
      const state = validateWorkflow(source.replace(/^\s+attestations: write\n/gm, ''));
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
    const steps = workflow('ci.yml').jobs.test!.steps;
    expect(steps.flatMap((s) => (s.run?.startsWith('npm ') ? [s.run.trim()] : []))).toEqual(expected);
    const uses = steps.map((s) => s.uses?.split('@')[0]);
    expect(uses.slice(0, 2)).toEqual(['actions/checkout', 'actions/setup-node']);
    // A GitHub expression, not a JavaScript template: the node version comes from the job's matrix.
    const matrixNode = ['$', '{{ matrix.node }}'].join('');
    expect(steps.find((s) => s.uses?.startsWith('actions/setup-node'))?.with?.['node-version']).toBe(
      matrixNode,
    );
    // The shipped runtime (the images' node:24) is among the tested ones.
    expect(workflow('ci.yml').jobs.test!.strategy?.matrix?.node).toContain(24);
  });

  it('ci.yml installs what the tests start on a GitHub-hosted runner, with no Debian-specific path or version', () => {
    const job = workflow('ci.yml').jobs.test!;
    const scripts = job.steps.map((s) => s.run ?? '').join('\n');
    const ciSource = sources.get('ci.yml')!;
    // The private PostgreSQL's binaries: whatever version the runner has, handed to the tests as E2E_PG_BIN.
    expect(ciSource).not.toMatch(/postgresql\/\d+\/bin/);
    expect(scripts).toMatch(/ls -d \/usr\/lib\/postgresql\/\*\/bin\/initdb/);
    expect(scripts).toMatch(/echo "E2E_PG_BIN=\$pg_bin" >> "\$GITHUB_ENV"/);
    for (const pkg of ['redis-server', 'pgbouncer', 'prometheus']) expect(scripts).toContain(pkg);
    // kubectl: a pinned release, verified against a pinned checksum before it is installed.
    const kubectl = job.steps.find((s) => s.run?.includes('dl.k8s.io'))!;
    expect(kubectl.run).toMatch(/sha256sum --check/);
    expect(job.env?.KUBECTL_VERSION).toMatch(/^v\d+\.\d+\.\d+$/);
    expect(job.env?.KUBECTL_SHA256).toMatch(/^[0-9a-f]{64}$/);
    expect(ciSource).not.toMatch(/setup-kubectl/);
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

  it('ci.yml provides PostgreSQL 15 (trust auth, database test) with a health check, and Redis from the runner', () => {
    const job = workflow('ci.yml').jobs.test!;
    expect(job.services?.postgres?.image).toBe('postgres:15');
    expect(job.services?.postgres?.env).toMatchObject({
      POSTGRES_HOST_AUTH_METHOD: 'trust',
      POSTGRES_DB: 'test',
    });
    expect(job.services?.postgres?.options).toMatch(/--health-cmd/);
    const install = job.steps.find((s) => s.run?.includes('redis-server'))!.run!;
    expect(install).toMatch(/redis-cli -h 127\.0\.0\.1 -p 6379 ping/);
  });

  it('every third-party action is pinned by commit SHA, with its version in a comment', () => {
    for (const [file, source] of sources) {
      const lines = source.split('\n').filter((l) => /^\s*-?\s*uses:/.test(l));
      expect(lines.length, file).toBeGreaterThan(0);
      for (const line of lines) {
        const ref = line.replace(/^\s*-?\s*uses:\s*/, '');
        if (ref.startsWith('./')) continue;
        expect(ref, `${file}: ${line.trim()}`).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$/);
      }
    }
  });

  it('grants nothing by default: every job declares its permissions, and only the publishing jobs write packages', () => {
    for (const file of sources.keys()) expect(workflow(file).permissions, file).toEqual({});
    const writers: string[] = [];
    for (const [name, job] of allJobs()) {
      expect(job.permissions, name).toBeDefined();
      for (const [scope, level] of Object.entries(job.permissions ?? {})) {
        expect(GITHUB_TOKEN_SCOPES, `${name}: ${scope}`).toContain(scope);
        expect(['read', 'write', 'none'], `${name}: ${scope}`).toContain(level);
      }
      if (typeof job.permissions === 'object' && job.permissions.packages === 'write') writers.push(name);
      if (typeof job.permissions === 'string') expect(job.permissions, name).not.toMatch(/write/);
    }
    // ci.yml#release only passes the grant on to release.yml's two publishing jobs (a caller caps its callee).
    expect(writers.sort()).toEqual(['ci.yml#release', 'release.yml#images', 'release.yml#npm-packages']);
    expect(workflow('ci.yml').jobs.test!.permissions).toEqual({ contents: 'read' });
  });

  it('every checkout keeps no credentials', () => {
    for (const file of sources.keys()) {
      const checkouts = allSteps(workflow(file)).filter((s) => s.uses?.startsWith('actions/checkout@'));
      expect(checkouts.length, file).toBeGreaterThan(0);
      for (const step of checkouts) expect(step.with?.['persist-credentials'], file).toBe(false);
    }
  });

  it('OPS_REPO_TOKEN is read only in a job bound to the protected ops-release environment', () => {
    const readers = allJobs().filter(([name]) => {
      const [file, job] = name.split('#') as [string, string];
      return jobSource(file, job).includes('secrets.OPS_REPO_TOKEN');
    });
    expect(readers.map(([name]) => name)).toEqual(['release.yml#ops-pull-request']);
    for (const [, job] of readers) expect(job.environment).toBe('ops-release');
    // Not handed down wholesale either.
    for (const [, job] of allJobs()) expect(job.secrets).not.toBe('inherit');
  });

  it('the release runs only for a v* tag, after the tests passed for that commit', () => {
    expect(workflow('release.yml').on).toEqual({
      workflow_call: expect.objectContaining({ secrets: expect.any(Object) }),
    });
    expect(Object.keys(workflow('release.yml').on)).toEqual(['workflow_call']);
    const ci = workflow('ci.yml');
    expect(ci.on).toMatchObject({ push: { tags: ['v*'] } });
    const callers = Object.values(ci.jobs).filter((job) => job.uses !== undefined);
    expect(callers).toHaveLength(1);
    expect(callers[0]).toMatchObject({
      uses: './.github/workflows/release.yml',
      needs: 'test',
      if: "startsWith(github.ref, 'refs/tags/v')",
    });
  });

  it('release.yml publishes the npm packages it packed at the tag version, with a provenance attestation', () => {
    const job = workflow('release.yml').jobs['npm-packages']!;
    const runs = job.steps.map((s) => s.run ?? '');
    const pack = runs.findIndex((r) => r.includes('scripts/release-packages.mjs'));
    const attest = job.steps.findIndex((s) => s.uses?.startsWith('actions/attest@'));
    const publish = runs.findIndex((r) => r.includes('npm publish'));
    expect(pack).toBeGreaterThan(-1);
    expect(attest).toBeGreaterThan(pack);
    expect(publish).toBeGreaterThan(attest);
    expect(job.steps[attest]!.with?.['subject-path']).toBe('release-packages/*.tgz');
    expect(runs[publish]).toMatch(/npm publish "\$tarball"/);
    expect(job.permissions).toMatchObject({ 'id-token': 'write', attestations: 'write' });
    expect(job.steps.find((s) => s.uses?.startsWith('actions/setup-node@'))?.with?.['registry-url']).toBe(
      'https://npm.pkg.github.com',
    );
  });

  it('release.yml builds and pushes both images from the repo root', () => {
    const wf = workflow('release.yml');
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
