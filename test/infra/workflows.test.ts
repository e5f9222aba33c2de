import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from './support/repo.js';

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
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
    expect(steps.find((s) => s.uses?.startsWith('actions/setup-node'))?.with?.['node-version']).toBe(20);
    expect(uses).toContain('azure/setup-kubectl');
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
        /\/geoduels-(moderation-worker|fake-risk-engine):\$\{\{ steps\.meta\.outputs\.version \}\}$/,
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
});
