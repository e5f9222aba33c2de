import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** What postgresBinDir looks at; injectable so the search is testable without the real filesystem. */
export interface PostgresBinProbe {
  env: Record<string, string | undefined>;
  exists(path: string): boolean;
  /** Version directories under /usr/lib/postgresql (Debian/Ubuntu layout), e.g. ['15', '16']. */
  debianVersions(): string[];
  /** `pg_config --bindir`, or undefined when pg_config is missing. */
  pgConfigBindir(): string | undefined;
}

const systemProbe: PostgresBinProbe = {
  env: process.env,
  exists: existsSync,
  debianVersions: () => {
    try {
      return readdirSync('/usr/lib/postgresql');
    } catch {
      return [];
    }
  },
  pgConfigBindir: () => {
    try {
      return execFileSync('pg_config', ['--bindir'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    } catch {
      return undefined;
    }
  },
};

/**
 * The directory holding `initdb` and `pg_ctl` for the tests' private PostgreSQL: `E2E_PG_BIN` when set,
 * else `pg_config --bindir`, else the newest `/usr/lib/postgresql/<version>/bin` (Debian, Ubuntu runners).
 * Returns an error message naming what was tried when none has `initdb`.
 */
export function findPostgresBin(probe: PostgresBinProbe = systemProbe): { dir: string } | { error: string } {
  const hasInitdb = (dir: string) => probe.exists(join(dir, 'initdb'));
  const configured = probe.env.E2E_PG_BIN?.trim();
  if (configured) {
    return hasInitdb(configured)
      ? { dir: configured }
      : { error: `E2E_PG_BIN=${configured} has no initdb: point it at the PostgreSQL server binaries` };
  }
  const fromConfig = probe.pgConfigBindir();
  if (fromConfig && hasInitdb(fromConfig)) return { dir: fromConfig };
  const newest = probe
    .debianVersions()
    .filter((version) => /^\d+(\.\d+)?$/.test(version))
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => `/usr/lib/postgresql/${version}/bin`)
    .find(hasInitdb);
  if (newest) return { dir: newest };
  return {
    error:
      'no PostgreSQL server binaries (initdb) found: not in `pg_config --bindir` nor /usr/lib/postgresql/*/bin; ' +
      'install the PostgreSQL server package or set E2E_PG_BIN to the directory with initdb and pg_ctl',
  };
}
