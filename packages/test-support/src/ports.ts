import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it; the caller binds it next). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('freePort: the server reported no TCP address'));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/**
 * Starts a server on a free port, `start(port)` doing the binding. Another process may grab the
 * port between freePort() and the bind, so a failed start is tried again on another free port, up
 * to `attempts` times. Resolves to the port the server started on.
 */
export async function startOnFreePort(start: (port: number) => Promise<void>, attempts = 3): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      await start(port);
      return port;
    } catch (error) {
      if (attempt >= attempts) throw error;
    }
  }
}
