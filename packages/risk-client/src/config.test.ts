import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  createRiskEngineConfig,
  DEFAULT_TIMEOUT_MS,
  readRiskEngineEnv,
  riskEngineConfigFromEnv,
} from './config.js';
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
    [{ RISK_ENGINE_TIMEOUT: '0m30s' }, { enabled: false, url: null, token: null, timeoutMs: 30_000 }],
    [{ RISK_ENGINE_TIMEOUT: '50ms' }, { enabled: false, url: null, token: null, timeoutMs: 50 }],
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
    [{ RISK_ENGINE_URL: ' http://en gine ' }, 'RISK_ENGINE_URL', 'not_a_url'],
    [{ RISK_ENGINE_URL: 'http://user:pw@engine' }, 'RISK_ENGINE_URL', 'credentials_in_url'],
    [{ RISK_ENGINE_URL: 'http://engine/?a=1' }, 'RISK_ENGINE_URL', 'query_or_fragment'],
    [{ RISK_ENGINE_URL: 'http://engine/#x' }, 'RISK_ENGINE_URL', 'query_or_fragment'],
    [{ RISK_ENGINE_TOKEN: 'tok en' }, 'RISK_ENGINE_TOKEN', 'invalid_characters'],
    [{ RISK_ENGINE_TOKEN: ` tok\ten\n` }, 'RISK_ENGINE_TOKEN', 'invalid_characters'],
    [{ RISK_ENGINE_TOKEN: 'tök' }, 'RISK_ENGINE_TOKEN', 'invalid_characters'],
    [{ RISK_ENGINE_TIMEOUT: '0' }, 'RISK_ENGINE_TIMEOUT', 'zero'],
    [{ RISK_ENGINE_TIMEOUT: '0s' }, 'RISK_ENGINE_TIMEOUT', 'zero'],
    [{ RISK_ENGINE_TIMEOUT: '-5s' }, 'RISK_ENGINE_TIMEOUT', 'negative'],
    [{ RISK_ENGINE_TIMEOUT: '750' }, 'RISK_ENGINE_TIMEOUT', 'missing_unit'],
    [{ RISK_ENGINE_TIMEOUT: '2 days' }, 'RISK_ENGINE_TIMEOUT', 'unknown_unit'],
    [{ RISK_ENGINE_TIMEOUT: 'soon' }, 'RISK_ENGINE_TIMEOUT', 'malformed'],
    [{ RISK_ENGINE_TIMEOUT: '1000h' }, 'RISK_ENGINE_TIMEOUT', 'too_large'],
    [{ RISK_ENGINE_TIMEOUT: ' soon\n' }, 'RISK_ENGINE_TIMEOUT', 'malformed'],
    [{ RISK_ENGINE_TIMEOUT: '1 s' }, 'RISK_ENGINE_TIMEOUT', 'unknown_unit'],
    [{ RISK_ENGINE_TIMEOUT: '49ms' }, 'RISK_ENGINE_TIMEOUT', 'too_small'],
    [{ RISK_ENGINE_TIMEOUT: '300us' }, 'RISK_ENGINE_TIMEOUT', 'too_small'],
    [{ RISK_ENGINE_TIMEOUT: '30.001s' }, 'RISK_ENGINE_TIMEOUT', 'too_large'],
    [{ RISK_ENGINE_TIMEOUT: '1m30s' }, 'RISK_ENGINE_TIMEOUT', 'too_large'],
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

  it('names the allowed timeout range, 50ms to 30s, when the timeout is out of it', () => {
    for (const value of ['10ms', '1m']) {
      expect(() => riskEngineConfigFromEnv({ RISK_ENGINE_TIMEOUT: value })).toThrow(
        `RISK_ENGINE_TIMEOUT: "${value}" is outside the allowed range of 50ms to 30s`,
      );
    }
  });

  it('shows at most the origin of a refused RISK_ENGINE_URL, never its path, query string or user part', () => {
    const refused = [
      'http://engine:8096/risk/secret-path?token=secret-query#secret-hash',
      'http://user:secret-password@engine:8096/risk/secret-path?token=secret-query',
      'http://secret-user@engine:8096/secret-path',
      'ftp://user:secret-password@engine/secret-path?token=secret-query',
      'not a url ?token=secret-query',
    ];
    const messages = refused.map((url) => {
      try {
        riskEngineConfigFromEnv({ RISK_ENGINE_URL: url });
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return `${String(error)}\n${(error as Error).stack}\n${inspect(error)}`;
      }
      throw new Error(`${url} was accepted`);
    });
    for (const text of messages) expect(text).not.toMatch(/secret-|token=|user/);
    expect(messages[0]).toContain('RISK_ENGINE_URL: "http://engine:8096" must not have a query or fragment');
    expect(messages[1]).toContain('RISK_ENGINE_URL: "http://engine:8096" contains credentials');
    expect(messages[2]).toContain('"http://engine:8096"');
  });

  it('validates the timeout even when the engine is disabled', () => {
    expect(() => riskEngineConfigFromEnv({ RISK_ENGINE_TIMEOUT: 'fast' })).toThrow(ConfigError);
  });

  it('never puts the token or URL credentials into an error message', () => {
    const messages: string[] = [];
    for (const env of [
      { RISK_ENGINE_TOKEN: ` ${TOKEN} x ` },
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

describe('readRiskEngineEnv: surrounding whitespace, as production reads it', () => {
  it('trims every variable and names the ones it trimmed, in read order', () => {
    const { config, trimmed } = readRiskEngineEnv({
      RISK_ENGINE_URL: '  http://engine:8096/ ',
      RISK_ENGINE_TOKEN: `${TOKEN}\n`,
      RISK_ENGINE_TIMEOUT: '\t1.5s\r\n',
    });
    expect(config).toMatchObject({ enabled: true, url: 'http://engine:8096', timeoutMs: 1_500 });
    expect(config.token).toBe(TOKEN);
    expect(trimmed).toEqual(['RISK_ENGINE_URL', 'RISK_ENGINE_TOKEN', 'RISK_ENGINE_TIMEOUT']);
  });

  it('names only the variables that had whitespace around them', () => {
    const { trimmed } = readRiskEngineEnv({
      RISK_ENGINE_URL: 'http://engine',
      RISK_ENGINE_TOKEN: ` ${TOKEN}`,
      RISK_ENGINE_TIMEOUT: '2s',
    });
    expect(trimmed).toEqual(['RISK_ENGINE_TOKEN']);
  });

  it('reports nothing for clean, empty or unset variables', () => {
    expect(readRiskEngineEnv({}).trimmed).toEqual([]);
    expect(readRiskEngineEnv({ RISK_ENGINE_URL: '', RISK_ENGINE_TIMEOUT: '' }).trimmed).toEqual([]);
    expect(
      readRiskEngineEnv({ RISK_ENGINE_URL: 'http://e', RISK_ENGINE_TOKEN: TOKEN, RISK_ENGINE_TIMEOUT: '1s' })
        .trimmed,
    ).toEqual([]);
  });

  it.each(['   ', '\n', ' \t\r\n '])(
    'treats a whitespace-only URL %j as disabled, and says it trimmed it',
    (url) => {
      const { config, trimmed } = readRiskEngineEnv({ RISK_ENGINE_URL: url });
      expect(config).toMatchObject({ enabled: false, url: null });
      expect(trimmed).toEqual(['RISK_ENGINE_URL']);
    },
  );

  it('treats a whitespace-only token as none and a whitespace-only timeout as the default', () => {
    const { config, trimmed } = readRiskEngineEnv({ RISK_ENGINE_TOKEN: ' \n', RISK_ENGINE_TIMEOUT: '  ' });
    expect(config.token).toBeNull();
    expect(config.timeoutMs).toBe(DEFAULT_TIMEOUT_MS);
    expect(trimmed).toEqual(['RISK_ENGINE_TOKEN', 'RISK_ENGINE_TIMEOUT']);
  });

  it('keeps a trimmed but malformed timeout a startup error instead of falling back to the default', () => {
    let thrown: unknown;
    try {
      readRiskEngineEnv({ RISK_ENGINE_URL: 'http://e', RISK_ENGINE_TIMEOUT: ' 750 ' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect(thrown).toMatchObject({ variable: 'RISK_ENGINE_TIMEOUT', problem: 'missing_unit' });
  });

  it('never puts a value into what it reports, only variable names', () => {
    const reading = readRiskEngineEnv({ RISK_ENGINE_URL: ' http://e ', RISK_ENGINE_TOKEN: ` ${TOKEN} ` });
    expect(JSON.stringify(reading)).not.toContain(TOKEN);
    expect(inspect(reading, { depth: 10, showHidden: true })).not.toContain(TOKEN);
    expect(reading.trimmed).toEqual(['RISK_ENGINE_URL', 'RISK_ENGINE_TOKEN']);
  });

  it('gives riskEngineConfigFromEnv the same trimmed config', () => {
    const env = { RISK_ENGINE_URL: ' http://engine/ ', RISK_ENGINE_TOKEN: `${TOKEN}\n` };
    expect(JSON.stringify(riskEngineConfigFromEnv(env))).toBe(JSON.stringify(readRiskEngineEnv(env).config));
    expect(riskEngineConfigFromEnv(env).token).toBe(TOKEN);
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
