// Runs Prometheus's own checker, promtool, on the worker's alerting rules. The rules have one source,
// the PrometheusRule of infra/monitoring; its `spec` is a plain rules file, written to a temporary
// directory beside a copy of the promtool unit tests that name it.
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { REPO_ROOT } from './repo.js';

const run = promisify(execFile);

/** The PrometheusRule, the promtool unit tests, and the rules file name those tests load. */
export const PROMETHEUS_RULE_FILE = 'infra/monitoring/prometheus-rule.yaml';
export const ALERT_TESTS_FILE = 'infra/monitoring/alerts.test.yaml';
export const RULES_FILE_NAME = 'risk-analysis-worker.rules.yaml';

/** One alerting rule as the rules file holds it. */
export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** The rules file: the PrometheusRule's `spec`. */
export interface RulesFile {
  groups: { name: string; rules: AlertRule[] }[];
}

/** The PrometheusRule's spec, as a rules file. */
export async function readRulesFile(): Promise<RulesFile> {
  const rule = parse(await readFile(path.join(REPO_ROOT, PROMETHEUS_RULE_FILE), 'utf8')) as {
    spec: RulesFile;
  };
  return rule.spec;
}

/** Every alerting rule of the rules file. */
export function alertRules(rules: RulesFile): AlertRule[] {
  return rules.groups.flatMap((group) => group.rules);
}

/** A temporary directory with the rules file and the unit tests; `remove()` deletes it. */
export interface RulesWorkspace {
  rulesFile: string;
  testsFile: string;
  remove(): Promise<void>;
}

/** Writes the rules file and a copy of the unit tests to a fresh temporary directory. */
export async function rulesWorkspace(): Promise<RulesWorkspace> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gd-promtool-'));
  const rulesFile = path.join(dir, RULES_FILE_NAME);
  const testsFile = path.join(dir, path.basename(ALERT_TESTS_FILE));
  await writeFile(rulesFile, stringify(await readRulesFile()));
  await copyFile(path.join(REPO_ROOT, ALERT_TESTS_FILE), testsFile);
  return { rulesFile, testsFile, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** What promtool printed, and whether it exited 0. */
export interface PromtoolRun {
  ok: boolean;
  output: string;
}

/**
 * Runs `promtool <args>`; `promtool` names the binary (tests of the missing-binary message pass
 * another). A missing binary is an error naming the install step, never a skip.
 */
export async function promtool(args: string[], binary = 'promtool'): Promise<PromtoolRun> {
  try {
    const { stdout, stderr } = await run(binary, args, { maxBuffer: 16 * 1024 * 1024 });
    return { ok: true, output: `${stdout}${stderr}` };
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
    if (failure.code === 'ENOENT') {
      throw new Error(
        `${binary} is not installed or not on PATH: the monitoring tests check the alerting rules with ` +
          'promtool (Debian/Ubuntu: apt-get install -y --no-install-recommends prometheus; .ci/run and ' +
          'the CI workflow install it that way) and re-run',
      );
    }
    return { ok: false, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
  }
}
