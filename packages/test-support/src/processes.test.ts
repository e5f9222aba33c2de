import { afterAll, describe, expect, it } from 'vitest';
import type { OutputStream } from './log-capture.js';
import { spawnManaged, stopAllProcesses } from './processes.js';

afterAll(stopAllProcesses);

describe('managed process output', () => {
  it('shows every line to its listener as it arrives, and keeps each stream apart', async () => {
    const seen: Array<[string, OutputStream]> = [];
    const child = spawnManaged({
      name: 'two-streams',
      command: process.execPath,
      args: ['-e', `console.log('ready'); console.error('warning'); process.stdout.write('{"msg":"last"}')`],
      env: {},
      onLine: (text, stream) => seen.push([text, stream]),
    });
    await child.exited;
    expect(seen).toContainEqual(['ready', 'stdout']);
    expect(seen).toContainEqual(['warning', 'stderr']);
    expect(seen).toContainEqual(['{"msg":"last"}', 'stdout']);
    expect(seen).toHaveLength(3);
    expect(child.logs.textOf('stdout')).toBe('ready\n{"msg":"last"}');
    expect(child.logs.textOf('stderr')).toBe('warning');
  });
});
