import { describe, expect, it } from 'vitest';
import { processConfigFromEnv } from './config.js';
import { DEFAULT_DETECTORS, unknownSubjects } from './detectors/index.js';

describe('process configuration', () => {
  it('defaults to port 8096 on all interfaces with the default detectors and no auth', () => {
    expect(processConfigFromEnv({})).toEqual({
      ok: true,
      config: {
        host: undefined,
        port: 8096,
        token: null,
        control: false,
        logRequests: false,
        detectors: DEFAULT_DETECTORS,
        recordLimit: 1000,
      },
    });
  });

  it('reads PORT, and FAKE_RISK_ENGINE_ADDR in both forms, the address winning', () => {
    const port = (env: Record<string, string>) => {
      const r = processConfigFromEnv(env);
      return r.ok ? [r.config.host, r.config.port] : r;
    };
    expect(port({ PORT: '0' })).toEqual([undefined, 0]);
    expect(port({ FAKE_RISK_ENGINE_ADDR: ':8097' })).toEqual([undefined, 8097]);
    expect(port({ FAKE_RISK_ENGINE_ADDR: '127.0.0.1:9000', PORT: '1' })).toEqual(['127.0.0.1', 9000]);
    expect(port({ FAKE_RISK_ENGINE_ADDR: '[::1]:9001' })).toEqual(['::1', 9001]);
  });

  it('reads the token, switches and detector list', () => {
    const r = processConfigFromEnv({
      FAKE_RISK_ENGINE_TOKEN: 'tok',
      FAKE_RISK_ENGINE_CONTROL: '1',
      FAKE_RISK_ENGINE_LOG_REQUESTS: 'true',
      FAKE_RISK_ENGINE_DETECTORS: 'default, unknown-subjects',
      FAKE_RISK_ENGINE_RECORD_LIMIT: '0',
    });
    expect(r).toMatchObject({
      ok: true,
      config: { token: 'tok', control: true, logRequests: true, recordLimit: 0 },
    });
    expect(r.ok && r.config.detectors).toEqual([...DEFAULT_DETECTORS, unknownSubjects]);
  });

  it('names the variable of every malformed value', () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ PORT: '80a' }, 'PORT'],
      [{ PORT: '70000' }, 'PORT'],
      [{ FAKE_RISK_ENGINE_ADDR: '8096' }, 'FAKE_RISK_ENGINE_ADDR'],
      [{ FAKE_RISK_ENGINE_CONTROL: 'yes' }, 'FAKE_RISK_ENGINE_CONTROL'],
      [{ FAKE_RISK_ENGINE_LOG_REQUESTS: '2' }, 'FAKE_RISK_ENGINE_LOG_REQUESTS'],
      [{ FAKE_RISK_ENGINE_DETECTORS: 'default,psychic' }, 'FAKE_RISK_ENGINE_DETECTORS'],
      [{ FAKE_RISK_ENGINE_RECORD_LIMIT: '-1' }, 'FAKE_RISK_ENGINE_RECORD_LIMIT'],
    ];
    for (const [env, variable] of cases) {
      expect(processConfigFromEnv(env)).toMatchObject({ ok: false, variable, detail: expect.any(String) });
    }
  });
});
