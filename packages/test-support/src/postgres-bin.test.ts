import { describe, expect, it } from 'vitest';
import { findPostgresBin, type PostgresBinProbe } from './postgres-bin.js';

function probe(overrides: Partial<PostgresBinProbe> & { initdbIn?: string[] }): PostgresBinProbe {
  const initdbIn = new Set((overrides.initdbIn ?? []).map((dir) => `${dir}/initdb`));
  return {
    env: {},
    exists: (path) => initdbIn.has(path),
    debianVersions: () => [],
    pgConfigBindir: () => undefined,
    ...overrides,
  };
}

describe('findPostgresBin', () => {
  it('takes E2E_PG_BIN when it holds initdb, and names it when it does not', () => {
    expect(findPostgresBin(probe({ env: { E2E_PG_BIN: '/opt/pg/bin' }, initdbIn: ['/opt/pg/bin'] }))).toEqual(
      {
        dir: '/opt/pg/bin',
      },
    );
    const wrong = findPostgresBin(
      probe({ env: { E2E_PG_BIN: '/nope' }, initdbIn: ['/usr/lib/postgresql/15/bin'] }),
    );
    expect(wrong).toEqual({ error: expect.stringContaining('E2E_PG_BIN=/nope has no initdb') });
  });

  it("prefers pg_config's bindir, then the newest Debian/Ubuntu version directory (no hard-coded version)", () => {
    const debian = [
      '/usr/lib/postgresql/9.6/bin',
      '/usr/lib/postgresql/15/bin',
      '/usr/lib/postgresql/16/bin',
    ];
    expect(
      findPostgresBin(
        probe({
          pgConfigBindir: () => '/usr/local/pgsql/bin',
          initdbIn: ['/usr/local/pgsql/bin', ...debian],
        }),
      ),
    ).toEqual({
      dir: '/usr/local/pgsql/bin',
    });
    expect(
      findPostgresBin(probe({ debianVersions: () => ['9.6', '16', '15', 'README'], initdbIn: debian })),
    ).toEqual({ dir: '/usr/lib/postgresql/16/bin' });
    // A client-only version directory (no initdb) is passed over.
    expect(
      findPostgresBin(
        probe({ debianVersions: () => ['17', '15'], initdbIn: ['/usr/lib/postgresql/15/bin'] }),
      ),
    ).toEqual({ dir: '/usr/lib/postgresql/15/bin' });
  });

  it('says what it looked for and how to fix it when nothing has initdb', () => {
    expect(findPostgresBin(probe({}))).toEqual({ error: expect.stringMatching(/set E2E_PG_BIN/) });
  });

  it('finds the server binaries on this machine', () => {
    expect(findPostgresBin()).toEqual({ dir: expect.stringMatching(/\S/) });
  });
});
