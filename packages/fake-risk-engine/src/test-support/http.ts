// Test-only: a thin undici wrapper so tests talk to the engine over a real socket.
import { Agent, type Dispatcher, request } from 'undici';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json(): unknown;
}

export interface SendOptions {
  method?: Dispatcher.HttpMethod;
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
  dispatcher?: Dispatcher;
  headersTimeout?: number;
}

/** A keep-alive agent for one test file; close it in afterAll. */
export function testAgent(): Agent {
  return new Agent({ keepAliveTimeout: 1000 });
}

/** Sends a request and reads the whole answer. A non-string body is sent as JSON. */
export async function send(url: string, options: SendOptions = {}): Promise<Reply> {
  const body =
    options.body === undefined || typeof options.body === 'string'
      ? options.body
      : JSON.stringify(options.body);
  const res = await request(url, {
    method: options.method ?? (body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: body as string | undefined,
    dispatcher: options.dispatcher,
    headersTimeout: options.headersTimeout,
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) };
}
