import {
  LogLevel,
  messageIncludes,
  PollTimeoutError,
  pollUntil,
  spawnManaged,
  startWebhookReceiver,
  stopAllProcesses,
} from '@geoduels/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { metricSum, parsePrometheus } from '../support/metrics.js';
import { findSecretLeaks } from '../support/secrets.js';

afterAll(stopAllProcesses);

const node = process.execPath;

describe('managed processes', () => {
  it('captures JSON log lines from stdout and stderr, keeps plain lines raw, and reports the exit code', async () => {
    const child = spawnManaged({
      name: 'printer',
      command: node,
      args: [
        '-e',
        `process.stdout.write(JSON.stringify({level:30,msg:'hello'})+'\\nplain text\\n');
         console.error(JSON.stringify({level:50,msg:'boom',err:{type:'X'}}));
         process.stdout.write('{"level":30,"msg":"no trailing newline"}');
         process.exitCode = 3;`,
      ],
      env: {},
    });
    const exit = await child.exited;
    expect(exit).toEqual({ code: 3, signal: null });
    expect(child.logs.lines.map((line) => line.msg).sort()).toEqual(['boom', 'hello', 'no trailing newline']);
    expect(child.logs.filter((line) => (line.level ?? 0) >= LogLevel.error)).toHaveLength(1);
    expect(child.logs.text()).toContain('stdout: plain text');
  });

  it('resolves a log wait when the line arrives later and SIGTERM ends the process gracefully', async () => {
    const child = spawnManaged({
      name: 'sleeper',
      command: node,
      args: [
        '-e',
        `process.on('SIGTERM', () => { console.log(JSON.stringify({level:30,msg:'draining'})); process.exit(0); });
         setTimeout(() => console.log(JSON.stringify({level:30,msg:'started'})), 100);
         setInterval(() => {}, 1000);`,
      ],
      env: {},
    });
    await child.logs.waitFor(messageIncludes('started'), 'started line');
    expect(child.exitState).toBeUndefined();
    const exit = await child.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(child.logs.filter(messageIncludes('draining'))).toHaveLength(1);
  });

  it('kills processes that ignore SIGTERM after the grace period, and stopAllProcesses leaves none behind', async () => {
    const stubborn = `process.on('SIGTERM', () => {}); console.log('{"msg":"up"}'); setInterval(() => {}, 1000);`;
    const first = spawnManaged({ name: 'stubborn', command: node, args: ['-e', stubborn], env: {} });
    await first.logs.waitFor(messageIncludes('up'), 'first up');
    expect(await first.stop(200)).toEqual({ code: null, signal: 'SIGKILL' });

    const second = spawnManaged({ name: 'stubborn-2', command: node, args: ['-e', stubborn], env: {} });
    await second.logs.waitFor(messageIncludes('up'), 'second up');
    await stopAllProcesses();
    expect(second.exitState?.signal).toBe('SIGKILL');
    expect(() => process.kill(second.pid, 0)).toThrow();
  });

  it('only passes the environment it is given', async () => {
    const child = spawnManaged({
      name: 'env',
      command: node,
      args: ['-e', 'console.log(JSON.stringify({msg:"env",keys:Object.keys(process.env).sort()}))'],
      env: { ONLY_THIS: '1', DROPPED: undefined },
    });
    await child.exited;
    expect(child.logs.lines[0]?.keys).toEqual(['ONLY_THIS']);
  });
});

describe('pollUntil', () => {
  it('returns the first truthy value of the check, treating thrown errors as not yet', async () => {
    let calls = 0;
    const value = await pollUntil(
      () => {
        calls++;
        if (calls < 3) throw new Error('not yet');
        return calls;
      },
      { description: 'third call', intervalMs: 1 },
    );
    expect(value).toBe(3);
  });

  it('fails with the description and the last thing it saw once the deadline passes', async () => {
    const failure = pollUntil(() => false, { description: 'something that never happens', timeoutMs: 50 });
    await expect(failure).rejects.toBeInstanceOf(PollTimeoutError);
    await expect(failure).rejects.toThrow(/something that never happens.*last seen: false/);
  });
});

describe('webhook receiver', () => {
  it('records deliveries, answers 429 with Retry-After when told, and can hold a request open', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const post = (body: unknown, signal?: AbortSignal) =>
        fetch(`${receiver.url}/hook/abc`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal,
        });
      expect((await post({ content: 'one' })).status).toBe(204);

      receiver.setBehaviour({ kind: 'status', status: 429, retryAfterSeconds: 7 });
      const limited = await post({ content: 'two' });
      expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '7']);

      receiver.setBehaviour({ kind: 'hang' });
      const controller = new AbortController();
      const hanging = post({ content: 'three' }, controller.signal);
      await receiver.waitForCount(3);
      controller.abort();
      await expect(hanging).rejects.toThrow();

      expect(receiver.received.map((r) => [r.path, r.body, r.answered])).toEqual([
        ['/hook/abc', { content: 'one' }, 'ok'],
        ['/hook/abc', { content: 'two' }, 'error'],
        ['/hook/abc', { content: 'three' }, 'hung'],
      ]);
    } finally {
      await receiver.close();
    }
  });
});

describe('Prometheus parser', () => {
  it('reads labelled samples and sums by label subset', () => {
    const samples = parsePrometheus(
      [
        '# HELP jobs_total Jobs.',
        '# TYPE jobs_total counter',
        'jobs_total{outcome="analyzed",queue="q"} 5',
        'jobs_total{outcome="deferred",queue="q"} 2',
        'jobs_total{outcome="analyzed",queue="other \\"x\\""} 1',
        'up 1',
      ].join('\n'),
    );
    expect(metricSum(samples, 'jobs_total')).toBe(8);
    expect(metricSum(samples, 'jobs_total', { outcome: 'analyzed' })).toBe(6);
    expect(metricSum(samples, 'jobs_total', { queue: 'other "x"' })).toBe(1);
    expect(metricSum(samples, 'up')).toBe(1);
  });
});

describe('secret scan', () => {
  it('finds a secret in plain, URL-encoded and base64 form and masks it in the excerpt', () => {
    const secret = 'tok/en+with=odd&chars';
    const leaks = findSecretLeaks(
      {
        clean: 'nothing here',
        plain: `{"msg":"auth","header":"Bearer ${secret}"}`,
        encoded: `url=https://hook.test/${encodeURIComponent(secret)}`,
        base64: `basic ${Buffer.from(secret).toString('base64')}`,
      },
      [secret],
    );
    expect(leaks.map((leak) => leak.source)).toEqual(['plain', 'encoded', 'base64']);
    expect(leaks.every((leak) => leak.excerpt.includes('<SECRET>'))).toBe(true);
  });
});
