// Checks the built package as consumers see it: run `npx turbo run build` first (the root test
// command does).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const FORBIDDEN = /[\\/]node_modules[\\/](undici|opossum)[\\/]/;

beforeAll(() => {
  if (!existsSync(`${packageDir}dist/signals.js`)) {
    throw new Error('packages/risk-client/dist is missing: run `npx turbo run build` before these tests');
  }
});

// Imports `specifier` in a fresh node process and lists every CommonJS module it loaded.
async function loadedModules(specifier: string): Promise<{ exports: string[]; loaded: string[] }> {
  const script = [
    "import { createRequire } from 'node:module';",
    'const mod = await import(process.argv[1]);',
    "const loaded = Object.keys(createRequire(process.cwd() + '/').cache);",
    'console.log(JSON.stringify({ exports: Object.keys(mod), loaded }));',
  ].join('\n');
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script, specifier], {
    cwd: packageDir,
  });
  return JSON.parse(stdout);
}

// Imports `specifier` in a fresh node process whose resolve hook refuses undici and opossum (or, with
// `allowed`, every module whose URL that pattern does not match).
async function importWithGuard(
  specifier: string,
  allowed?: RegExp,
): Promise<{ ok: boolean; stderr: string }> {
  const refuse = allowed === undefined ? `${FORBIDDEN}.test(resolved.url)` : `!${allowed}.test(resolved.url)`;
  const hook = `export async function resolve(specifier, context, next) {
    const resolved = await next(specifier, context);
    if (${refuse}) throw new Error('FORBIDDEN_IMPORT ' + resolved.url);
    return resolved;
  }`;
  const register = `import { register } from 'node:module'; register(${JSON.stringify(
    `data:text/javascript,${encodeURIComponent(hook)}`,
  )});`;
  try {
    await run(
      process.execPath,
      [
        '--import',
        `data:text/javascript,${encodeURIComponent(register)}`,
        '--input-type=module',
        '-e',
        `await import(${JSON.stringify(specifier)});`,
      ],
      { cwd: packageDir },
    );
    return { ok: true, stderr: '' };
  } catch (error) {
    return { ok: false, stderr: String((error as { stderr?: unknown }).stderr) };
  }
}

describe('@geoduels/risk-client/signals', () => {
  it('loads in a fresh process without loading undici or opossum', async () => {
    const signals = await loadedModules('@geoduels/risk-client/signals');
    expect(signals.exports).toEqual(
      expect.arrayContaining([
        'severityRank',
        'evidenceStrengthRank',
        'greatestSeverity',
        'moderationSignalSchema',
      ]),
    );
    expect(signals.loaded.filter((path) => FORBIDDEN.test(path))).toEqual([]);
    // The same probe does see them behind the main entry, so an empty list above means something.
    const main = await loadedModules('@geoduels/risk-client');
    expect(main.loaded.some((path) => /[\\/]undici[\\/]/.test(path))).toBe(true);
    expect(main.loaded.some((path) => /[\\/]opossum[\\/]/.test(path))).toBe(true);
  });

  it('imports under a resolve hook that refuses undici and opossum', async () => {
    expect(await importWithGuard('@geoduels/risk-client/signals')).toEqual({ ok: true, stderr: '' });
    const main = await importWithGuard('@geoduels/risk-client');
    expect(main.ok).toBe(false);
    expect(main.stderr).toMatch(/FORBIDDEN_IMPORT .*node_modules\/(undici|opossum)\//);
  });

  it('loads nothing at run time but its own two modules and zod', async () => {
    // The whole module graph of the face: dist/signals.js, dist/schema.js (re-exported) and zod.
    const onlyThese = /\/risk-client\/dist\/(signals|schema)\.js$|\/node_modules\/zod\//;
    expect(await importWithGuard('@geoduels/risk-client/signals', onlyThese)).toEqual({
      ok: true,
      stderr: '',
    });
    const main = await importWithGuard('@geoduels/risk-client', onlyThese);
    expect(main.ok).toBe(false);
    expect(main.stderr).toMatch(/FORBIDDEN_IMPORT /);
  });

  it('type-checks a game-API consumer against the built declarations', async () => {
    const tsc = fileURLToPath(new URL('../../../node_modules/typescript/bin/tsc', import.meta.url));
    const { stdout, stderr } = await run(
      process.execPath,
      [tsc, '-p', 'fixtures/signals-consumer/tsconfig.json', '--listFiles'],
      {
        cwd: packageDir,
      },
    );
    expect(stderr).toBe('');
    // Resolved through the package's exports map to the built declarations, not to src.
    expect(stdout).toContain(`${packageDir}dist/signals.d.ts`);
    expect(stdout).not.toContain(`${packageDir}src/`);
  });
});
