// A small local stand-in for the risk engine: real sockets, scripted answers, and a record of what
// it saw (requests, connections, socket closes) so tests can assert on the wire.
import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export type Handler = (request: RecordedRequest, response: ServerResponse) => void;

export interface TestEngine {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Connections accepted so far. */
  readonly connections: () => number;
  /** Resolves with the next request the server receives. */
  readonly nextRequest: () => Promise<RecordedRequest>;
  /** Resolves when the next client socket closes. */
  readonly nextSocketClose: () => Promise<void>;
  /** Replaces how the server answers. */
  handle(handler: Handler): void;
  close(): Promise<void>;
}

/** Replies with a JSON body and status. */
export function json(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  response.end(text);
}

/** Starts the server on an ephemeral loopback port. */
export async function startTestEngine(handler: Handler): Promise<TestEngine> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const events = new EventEmitter();
  let connections = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      events.emit('request', recorded);
      current(recorded, res);
    });
  });
  server.on('connection', (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => {
      sockets.delete(socket);
      events.emit('socketClose');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    connections: () => connections,
    nextRequest: async () => {
      const [request] = (await once(events, 'request')) as [RecordedRequest];
      return request;
    },
    nextSocketClose: async () => {
      await once(events, 'socketClose');
    },
    handle(next) {
      current = next;
    },
    async close() {
      const closed = once(server, 'close');
      server.close();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
