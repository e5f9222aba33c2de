// A small HTTP server standing in for the moderators' Discord-compatible webhook, for the tests and
// the demo.
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
  /** What the receiver did with it (`scripted`: a `respondNext` responder answered). */
  answered: 'ok' | 'hung' | 'error' | 'scripted';
  /** When the body was fully read (ms since epoch) and from which client port: for diagnosing repeats. */
  at: number;
  remotePort: number | undefined;
}

/** How the receiver answers: 204, never (hold the socket open), or an error status. */
export type WebhookBehaviour =
  | { kind: 'ok' }
  | { kind: 'hang' }
  | { kind: 'status'; status: number; retryAfterSeconds?: number };

/** Answers one request in a way of its own (or not at all). */
export type WebhookResponder = (response: ServerResponse, request: ReceivedWebhook) => void;

/** Options of {@link startWebhookReceiver}. */
export interface WebhookReceiverOptions {
  /** The loopback port (default 0: any free one); a given port lets a test bring a closed receiver back. */
  port?: number;
  /** Sees each request once it is recorded and answered (or left hanging), e.g. to print it. */
  onReceive?: (request: ReceivedWebhook) => void;
}

/** The running stand-in. */
export interface WebhookReceiver {
  /** Base URL; the path after it is free (e.g. `${url}/hook/secret-token`). */
  readonly url: string;
  readonly port: number;
  readonly received: ReceivedWebhook[];
  setBehaviour(behaviour: WebhookBehaviour): void;
  /** Queues a responder for the next unanswered request; requests beyond the queue get the behaviour. */
  respondNext(responder: WebhookResponder): void;
  /** Resolves once at least `count` requests arrived. */
  waitForCount(count: number, timeoutMs?: number): Promise<void>;
  /** Closes the server and every socket it holds (hung requests included). */
  close(): Promise<void>;
}

/** Starts the receiver on a loopback port. */
export async function startWebhookReceiver(
  initial: WebhookBehaviour = { kind: 'ok' },
  options: WebhookReceiverOptions = {},
): Promise<WebhookReceiver> {
  let behaviour = initial;
  const received: ReceivedWebhook[] = [];
  const responders: WebhookResponder[] = [];
  const hung = new Set<ServerResponse>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const responder = responders.shift();
      const entry: ReceivedWebhook = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: parseBody(text),
        answered: responder !== undefined ? 'scripted' : answeredBy(behaviour),
        at: Date.now(),
        remotePort: request.socket.remotePort,
      };
      received.push(entry);
      if (responder !== undefined) responder(response, entry);
      else answer(response, behaviour, hung);
      options.onReceive?.(entry);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    setBehaviour(next) {
      behaviour = next;
    },
    respondNext(responder) {
      responders.push(responder);
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

function answeredBy(behaviour: WebhookBehaviour): ReceivedWebhook['answered'] {
  return behaviour.kind === 'ok' ? 'ok' : behaviour.kind === 'hang' ? 'hung' : 'error';
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
