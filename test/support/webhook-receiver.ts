import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pollUntil } from './poll.js';

/** One request the receiver got. */
export interface ReceivedWebhook {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, or the raw text when it was not JSON. */
  body: unknown;
  /** What the receiver did with it. */
  answered: 'ok' | 'hung' | 'error';
  /** When the body was fully read (ms since epoch) and from which client port: for diagnosing repeats. */
  at: number;
  remotePort: number | undefined;
}

/** How the receiver answers: 204, never (hold the socket open), or an error status. */
export type WebhookBehaviour =
  | { kind: 'ok' }
  | { kind: 'hang' }
  | { kind: 'status'; status: number; retryAfterSeconds?: number };

/** A small HTTP server standing in for the moderation (Discord-compatible) webhook. */
export interface WebhookReceiver {
  /** Base URL; the path after it is free (e.g. `${url}/hook/secret-token`). */
  readonly url: string;
  readonly received: ReceivedWebhook[];
  setBehaviour(behaviour: WebhookBehaviour): void;
  /** Resolves once at least `count` requests arrived. */
  waitForCount(count: number, timeoutMs?: number): Promise<void>;
  /** Closes the server and every socket it holds (hung requests included). */
  close(): Promise<void>;
}

/** Starts the receiver on a free loopback port. */
export async function startWebhookReceiver(
  initial: WebhookBehaviour = { kind: 'ok' },
): Promise<WebhookReceiver> {
  let behaviour = initial;
  const received: ReceivedWebhook[] = [];
  const hung = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const entry: ReceivedWebhook = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: parseBody(text),
        answered: behaviour.kind === 'ok' ? 'ok' : behaviour.kind === 'hang' ? 'hung' : 'error',
        at: Date.now(),
        remotePort: request.socket.remotePort,
      };
      received.push(entry);
      answer(response, behaviour, hung);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    setBehaviour(next) {
      behaviour = next;
    },
    async waitForCount(count, timeoutMs = 30_000) {
      await pollUntil(() => received.length >= count, {
        description: `${count} webhook deliveries (have ${received.length})`,
        timeoutMs,
      });
    },
    close() {
      for (const response of hung) response.destroy();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function answer(response: ServerResponse, behaviour: WebhookBehaviour, hung: Set<ServerResponse>): void {
  switch (behaviour.kind) {
    case 'ok':
      response.writeHead(204).end();
      return;
    case 'hang':
      hung.add(response);
      response.on('close', () => hung.delete(response));
      return;
    case 'status': {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (behaviour.retryAfterSeconds !== undefined)
        headers['retry-after'] = String(behaviour.retryAfterSeconds);
      response.writeHead(behaviour.status, headers).end(JSON.stringify({ message: 'receiver fault' }));
    }
  }
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
