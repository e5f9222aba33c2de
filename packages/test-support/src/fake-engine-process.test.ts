import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeEngineProcess } from './fake-engine-process.js';
import { freePort } from './ports.js';
import { stopAllProcesses } from './processes.js';

afterAll(stopAllProcesses);

describe('fake engine process', () => {
  it('listens on the port it is given and, without a token, takes control requests without one', async () => {
    const port = await freePort();
    const engine = await startFakeEngineProcess({ port });
    try {
      expect(engine.url).toBe(`http://127.0.0.1:${port}`);
      await engine.addFaults([{ kind: 'status', code: 503 }]);
      expect(await engine.faults()).toHaveLength(1);
      expect(await engine.requestCount()).toBe(0);
    } finally {
      await engine.stop();
    }
  });

  it('fails at once, with what it printed, when it cannot listen', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const startedAt = Date.now();
      await expect(startFakeEngineProcess({ port })).rejects.toThrow(
        /exited before listening.*cannot listen/s,
      );
      expect(Date.now() - startedAt).toBeLessThan(10_000);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
