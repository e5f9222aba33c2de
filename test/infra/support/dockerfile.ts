// A small Dockerfile reader: enough structure (stages, instructions, COPY sources, exec forms)
// to check the image definitions without a Docker engine.

/** One instruction, with continuation lines joined and comments removed. */
export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** A build stage: its base image, optional name and instructions. */
export interface Stage {
  image: string;
  name: string | null;
  instructions: Instruction[];
}

/** A COPY/ADD split into flags, sources and destination. */
export interface CopySpec {
  from: string | null;
  sources: string[];
  destination: string;
}

/** Parses a Dockerfile into its build stages. */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  let pending = '';
  let startLine = 0;
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) return;
    if (pending !== '' && line.startsWith('#')) return;
    if (pending === '') startLine = index + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    const full = (pending + line).trim();
    pending = '';
    const [keyword, ...rest] = full.split(/\s+/);
    const instruction = { keyword: keyword!.toUpperCase(), args: rest.join(' '), line: startLine };
    if (instruction.keyword === 'FROM') {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (match === null) throw new Error(`line ${startLine}: cannot read FROM ${instruction.args}`);
      stages.push({ image: match[1]!, name: match[2] ?? null, instructions: [] });
      return;
    }
    const stage = stages.at(-1);
    if (stage === undefined) throw new Error(`line ${startLine}: ${instruction.keyword} before FROM`);
    stage.instructions.push(instruction);
  });
  return stages;
}

/** Reads the exec (JSON array) form of CMD/ENTRYPOINT; null for the shell form. */
export function execForm(args: string): string[] | null {
  if (!args.startsWith('[')) return null;
  const parsed: unknown = JSON.parse(args);
  return Array.isArray(parsed) && parsed.every((a) => typeof a === 'string') ? parsed : null;
}

/** Splits a COPY/ADD instruction's arguments. */
export function copySpec(args: string): CopySpec {
  const words = args.split(/\s+/);
  let from: string | null = null;
  while (words[0]?.startsWith('--')) {
    const flag = words.shift()!;
    if (flag.startsWith('--from=')) from = flag.slice('--from='.length);
  }
  const paths = words.join(' ').startsWith('[') ? (JSON.parse(words.join(' ')) as string[]) : words;
  return { from, sources: paths.slice(0, -1), destination: paths.at(-1)! };
}

/** The keys an ENV instruction sets (both `K=V ...` and legacy `K V` forms). */
export function envKeys(args: string): string[] {
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) return [args.split(/\s+/)[0]!];
  return [...args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=/g)].map((m) => m[1]!);
}
