// The objects operators' kubectl commands name in the docs, workflows and manifest comments, so the
// tests can check each one against what the manifests render.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from './repo.js';

/** kubectl's resource names and short names, as the kind of the object they name. */
const KINDS: Record<string, string> = {
  deploy: 'Deployment',
  deployment: 'Deployment',
  job: 'Job',
  svc: 'Service',
  service: 'Service',
  // An Endpoints object carries its Service's name.
  endpoints: 'Service',
  pdb: 'PodDisruptionBudget',
  poddisruptionbudget: 'PodDisruptionBudget',
  sa: 'ServiceAccount',
  serviceaccount: 'ServiceAccount',
  cm: 'ConfigMap',
  configmap: 'ConfigMap',
  secret: 'Secret',
};

/** One object a kubectl command names, or one pod label it selects by (`kind` `Pod label`). */
export interface KubectlReference {
  file: string;
  kind: string;
  name: string;
  command: string;
}

const KIND_WORD = Object.keys(KINDS).join('|');
// `kubectl ... deploy/x` anywhere in the command, or `kubectl get|delete|describe job x`.
const SLASH_FORM = new RegExp(`\\b(${KIND_WORD})/([a-z0-9][a-z0-9.-]*)`, 'g');
const SPACE_FORM = new RegExp(
  `^kubectl\\s+(?:get|delete|describe)\\s+(${KIND_WORD})\\s+([a-z0-9][a-z0-9.-]*)`,
);
const NAME_LABEL = /\s-l\s+app\.kubernetes\.io\/name=([a-z0-9][a-z0-9.-]*)/g;

/**
 * The references in one text: every `kubectl` command, up to the end of its line, its backtick or quote,
 * or the `&&`, `;` or `|` that starts the next command.
 */
export function kubectlReferences(file: string, text: string): KubectlReference[] {
  const references: KubectlReference[] = [];
  for (const match of text.matchAll(/kubectl [^\n`"&;|]*/g)) {
    // A YAML or shell string may end the command with the escape of its closing backtick.
    const command = match[0].trim().replace(/\\+$/, '');
    const space = SPACE_FORM.exec(command);
    if (space !== null) references.push({ file, kind: KINDS[space[1]!]!, name: space[2]!, command });
    for (const slash of command.matchAll(SLASH_FORM)) {
      references.push({ file, kind: KINDS[slash[1]!]!, name: slash[2]!, command });
    }
    for (const label of command.matchAll(NAME_LABEL)) {
      references.push({ file, kind: 'Pod label', name: label[1]!, command });
    }
  }
  return references;
}

/** Files where operators read kubectl commands: docs, READMEs, workflows and the manifests' comments. */
export async function filesWithOperatorCommands(): Promise<string[]> {
  const files = ['README.md'];
  const walk = async (dir: string, keep: (file: string) => boolean): Promise<void> => {
    const entries = await readdir(path.join(REPO_ROOT, dir), { recursive: true, withFileTypes: true });
    for (const entry of entries) {
      const relative = path.relative(REPO_ROOT, path.join(entry.parentPath, entry.name));
      if (entry.isFile() && !relative.includes('node_modules') && keep(relative)) files.push(relative);
    }
  };
  await walk('docs', (f) => f.endsWith('.md'));
  await walk('infra', (f) => f.endsWith('.yaml'));
  await walk('.github/workflows', (f) => f.endsWith('.yml'));
  await walk('packages', (f) => /^packages\/[^/]+\/(README\.md|docs\/.+\.md)$/.test(f));
  return files.sort();
}

/** Every kubectl reference in those files. */
export async function operatorKubectlReferences(): Promise<KubectlReference[]> {
  const references: KubectlReference[] = [];
  for (const file of await filesWithOperatorCommands()) {
    references.push(...kubectlReferences(file, await readFile(path.join(REPO_ROOT, file), 'utf8')));
  }
  return references;
}
