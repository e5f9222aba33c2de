import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createRiskEngineConfig, DEFAULT_TIMEOUT_MS, riskEngineConfigFromEnv } from './config.js';
import { ConfigError, type ConfigProblem } from './errors.js';

const TOKEN = 'tok-Secret-123456';

describe('riskEngineConfigFromEnv', () => {
  it.each([
    [{}, { enabled: false, url: null, token: null, timeoutMs: DEFAULT_TIMEOUT_MS }],
    [{ RISK_ENGINE_URL: '' }, { enabled: false, url: null, token: null, timeoutMs: 750 }],
    [{ RISK_ENGINE_TOKEN: TOKEN }, { enabled: false, url: null, token: TOKEN, timeoutMs: 750 }],
    [
      { RISK_ENGINE_URL: 'http://engine:8096' },
      { enabled: true, url: 'http://engine:8096', token: null, timeoutMs: 750 },
    ],
    [
      { RISK_ENGINE_URL: 'https://engine.internal/' },
      { enabled: true, url: 'https://engine.internal', token: null, timeoutMs: 750 },
    ],
    [
      { RISK_ENGINE_URL: 'http://engine:8096///' },
      { enabled: true, url: 'http://engine:8096', token: null, timeoutMs: 750 },
    ],
    [
      { RISK_ENGINE_URL: 'http://engine/risk/' },
      { enabled: true, url: 'http://engine/risk', token: null, timeoutMs: 750 },
    ],
    [
      { RISK_ENGINE_URL: 'http://e', RISK_ENGINE_TOKEN: TOKEN },
      { enabled: true, url: 'http://e', token: TOKEN, timeoutMs: 750 },
    ],
    [
      { RISK_ENGINE_URL: 'http://e', RISK_ENGINE_TOKEN: '' },
      { enabled: true, url: 'http://e', token: null, timeoutMs: 750 },
    ],
    [{ RISK_ENGINE_TIMEOUT: '1.5s' }, { enabled: false, url: null, token: null, timeoutMs: 1500 }],
    [{ RISK_ENGINE_TIMEOUT: '1m30s' }, { enabled: false, url: null, token: null, timeoutMs: 90_000 }],
    [{ RISK_ENGINE_TIMEOUT: '' }, { enabled: false, url: null, token: null, timeoutMs: 750 }],
  ])('reads %j', (env, expected) => {
    const config = riskEngineConfigFromEnv(env);
    expect({
      enabled: config.enabled,
      url: config.url,
      token: config.token,
      timeoutMs: config.timeoutMs,
    }).toEqual(expected);
  });

  it.each<[Record<string, string>, string, ConfigProblem]>([
    [{ RISK_ENGINE_URL: 'engine:8096' }, 'RISK_ENGINE_URL', 'unsupported_scheme'],
    [{ RISK_ENGINE_URL: 'not a url' }, 'RISK_ENGINE_URL', 'not_a_url'],
    [{ RISK_ENGINE_URL: '/relative' }, 'RISK_ENGINE_URL', 'not_a_url'],
    [{ RISK_ENGINE_URL: 'ftp://engine' }, 'RISK_ENGINE_URL', 'unsupported_scheme'],
    [{ RISK_ENGINE_URL: ' http://engine' }, 'RISK_ENGINE_URL', 'surrounding_whitespace'],
    [{ RISK_ENGINE_URL: '   ' }, 'RISK_ENGINE_URL', 'surrounding_whitespace'],
    [{ RISK_ENGINE_URL: 'http://user:pw@engine' }, 'RISK_ENGINE_URL', 'credentials_in_url'],
    [{ RISK_ENGINE_URL: 'http://engine/?a=1' }, 'RISK_ENGINE_URL', 'query_or_fragment'],
    [{ RISK_ENGINE_URL: 'http://engine/#x' }, 'RISK_ENGINE_URL', 'query_or_fragment'],
    [{ RISK_ENGINE_TOKEN: `${TOKEN}\n` }, 'RISK_ENGINE_TOKEN', 'surrounding_whitespace'],
    [{ RISK_ENGINE_TOKEN: 'tok en' }, 'RISK_ENGINE_TOKEN', 'invalid_characters'],
    [{ RISK_ENGINE_TOKEN: 'tök' }, 'RISK_ENGINE_TOKEN', 'invalid_characters'],
    [{ RISK_ENGINE_TIMEOUT: '0' }, 'RISK_ENGINE_TIMEOUT', 'zero'],
    [{ RISK_ENGINE_TIMEOUT: '0s' }, 'RISK_ENGINE_TIMEOUT', 'zero'],
    [{ RISK_ENGINE_TIMEOUT: '-5s' }, 'RISK_ENGINE_TIMEOUT', 'negative'],
    [{ RISK_ENGINE_TIMEOUT: '750' }, 'RISK_ENGINE_TIMEOUT', 'missing_unit'],
    [{ RISK_ENGINE_TIMEOUT: '2 days' }, 'RISK_ENGINE_TIMEOUT', 'unknown_unit'],
    [{ RISK_ENGINE_TIMEOUT: 'soon' }, 'RISK_ENGINE_TIMEOUT', 'malformed'],
    [{ RISK_ENGINE_TIMEOUT: '1000h' }, 'RISK_ENGINE_TIMEOUT', 'too_large'],
  ])('rejects %j naming %s (%s)', (env, variable, problem) => {
    let thrown: unknown;
    try {
      riskEngineConfigFromEnv(env);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    const error = thrown as ConfigError;
    expect(error.variable).toBe(variable);
    expect(error.problem).toBe(problem);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
  });

  it('validates the timeout even when the engine is disabled', () => {
    expect(() => riskEngineConfigFromEnv({ RISK_ENGINE_TIMEOUT: 'fast' })).toThrow(ConfigError);
  });

  it('never puts the token or URL credentials into an error message', () => {
    const messages: string[] = [];
    for (const env of [
      { RISK_ENGINE_TOKEN: `${TOKEN} ` },
      { RISK_ENGINE_TOKEN: `${TOKEN}\u0000` },
      { RISK_ENGINE_URL: `http://user:${TOKEN}@engine` },
    ]) {
      try {
        riskEngineConfigFromEnv(env);
      } catch (error) {
        messages.push(String(error), (error as Error).stack ?? '', inspect(error));
      }
    }
    expect(messages).toHaveLength(9);
    for (const text of messages) expect(text).not.toContain(TOKEN);
  });
});

describe('config secrecy', () => {
  const config = riskEngineConfigFromEnv({ RISK_ENGINE_URL: 'http://engine', RISK_ENGINE_TOKEN: TOKEN });

  it('keeps the token readable for the client', () => {
    expect(config.token).toBe(TOKEN);
  });

  it('redacts the token in JSON, inspect, spreading and key listings', () => {
    expect(JSON.stringify(config)).toBe(
      '{"enabled":true,"url":"http://engine","token":"[redacted]","timeoutMs":750}',
    );
    expect(inspect(config)).not.toContain(TOKEN);
    expect(inspect(config, { showHidden: true, depth: 10 })).not.toContain(TOKEN);
    expect(inspect(config)).toContain('[redacted]');
    expect(JSON.stringify({ ...config })).not.toContain(TOKEN);
    expect(Object.keys(config)).not.toContain('token');
    expect(`${String(config)}`).not.toContain(TOKEN);
  });

  it('shows token null when none is set', () => {
    expect(
      JSON.parse(
        JSON.stringify(createRiskEngineConfig({ enabled: false, url: null, token: null, timeoutMs: 1 })),
      ),
    ).toEqual({ enabled: false, url: null, token: null, timeoutMs: 1 });
  });
});
