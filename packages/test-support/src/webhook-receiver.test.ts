import { describe, expect, it } from 'vitest';
import { type ReceivedWebhook, startWebhookReceiver } from './webhook-receiver.js';

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('webhook stand-in', () => {
  it('answers queued responders one request each, then falls back to its behaviour', async () => {
    const receiver = await startWebhookReceiver();
    try {
      receiver.respondNext((response, request) => response.writeHead(400).end(`bad ${request.path}`));
      receiver.respondNext((response) => response.writeHead(503).end());
      const answers = [];
      for (const n of [1, 2, 3]) {
        const response = await post(`${receiver.url}/hook/${n}`, { n });
        answers.push([response.status, await response.text()]);
      }
      expect(answers).toEqual([
        [400, 'bad /hook/1'],
        [503, ''],
        [204, ''],
      ]);
      expect(receiver.received.map((r) => r.answered)).toEqual(['scripted', 'scripted', 'ok']);
    } finally {
      await receiver.close();
    }
  });

  it('shows each request to its listener as it arrives', async () => {
    const seen: ReceivedWebhook[] = [];
    const receiver = await startWebhookReceiver(
      { kind: 'ok' },
      { onReceive: (request) => seen.push(request) },
    );
    try {
      await post(`${receiver.url}/api/webhooks/1/t`, { content: 'hello' });
      expect(seen.map((r) => [r.path, r.body])).toEqual([['/api/webhooks/1/t', { content: 'hello' }]]);
    } finally {
      await receiver.close();
    }
  });

  it('comes back on the port it had, after it was closed', async () => {
    const first = await startWebhookReceiver();
    const { port } = first;
    await first.close();
    await expect(post(`http://127.0.0.1:${port}/hook`, {})).rejects.toThrow();

    const again = await startWebhookReceiver({ kind: 'ok' }, { port });
    try {
      expect(again.url).toBe(`http://127.0.0.1:${port}`);
      expect((await post(`${again.url}/hook`, {})).status).toBe(204);
    } finally {
      await again.close();
    }
  });
});
