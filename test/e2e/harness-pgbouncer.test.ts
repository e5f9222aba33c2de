// The private PgBouncer of @geoduels/test-support: what the PgBouncer tests rely on it to be.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  createTempDatabase,
  type PrivatePgBouncer,
  queryRows,
  startPrivatePgBouncer,
  stopAllProcesses,
  type TempDatabase,
} from '@geoduels/test-support';
import { afterAll, describe, expect, it } from 'vitest';

let bouncer: PrivatePgBouncer | undefined;
let temp: TempDatabase | undefined;

afterAll(async () => {
  await bouncer?.stop();
  await temp?.drop();
  await stopAllProcesses();
});

const setting = (rows: Record<string, unknown>[], key: string) => rows.find((row) => row.key === key)?.value;

describe('private PgBouncer', () => {
  it('runs in transaction pooling on loopback with the asked pool size, reaches any database of the server, and is gone after stop', async () => {
    [bouncer, temp] = await Promise.all([
      startPrivatePgBouncer({ poolSize: 3 }),
      createTempDatabase('harness_pgb'),
    ]);
    const config = await bouncer.admin('SHOW CONFIG');
    expect(setting(config, 'pool_mode')).toBe('transaction');
    expect(setting(config, 'listen_addr')).toBe('127.0.0.1');
    expect(setting(config, 'listen_port')).toBe(String(bouncer.port));
    expect(setting(config, 'unix_socket_dir')).toBe('');
    expect(setting(config, 'default_pool_size')).toBe('3');
    expect(await queryRows(bouncer.through(temp.url), 'SELECT current_database() AS db')).toEqual([
      { db: temp.name },
    ]);
    if (process.getuid?.() === 0) {
      // PgBouncer refuses to run as root; the harness has it drop to postgres.
      const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${bouncer.pid}/status`, 'utf8'))?.[1];
      expect(uid).toBe(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    }

    const { pid } = bouncer;
    await bouncer.stop();
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(bouncer.admin('SHOW VERSION')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
