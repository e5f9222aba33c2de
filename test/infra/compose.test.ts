import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from './support/repo.js';

interface Service {
  image: string;
  environment?: Record<string, string>;
  ports?: string[];
  command?: string[];
  healthcheck?: { test: string[] };
}

describe('compose.yaml (a laptop: docker compose up -d, then the two commands)', () => {
  it('runs PostgreSQL 15 and Redis 7 on loopback as the tests expect them', async () => {
    const compose = parse(await readFile(path.join(REPO_ROOT, 'compose.yaml'), 'utf8')) as {
      services: Record<string, Service>;
    };
    const { postgres, redis } = compose.services;
    expect(postgres?.image).toBe('postgres:15');
    expect(postgres?.environment).toEqual({ POSTGRES_HOST_AUTH_METHOD: 'trust', POSTGRES_DB: 'test' });
    expect(postgres?.ports).toEqual(['127.0.0.1:5432:5432']);
    expect(redis?.image).toBe('redis:7');
    expect(redis?.ports).toEqual(['127.0.0.1:6379:6379']);
    expect(redis?.command).toEqual(['redis-server', '--save', '', '--appendonly', 'no']);
    for (const service of [postgres, redis]) expect(service?.healthcheck?.test.length).toBeGreaterThan(0);
    const readme = await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8');
    expect(readme).toContain('docker compose up -d');
    expect(readme).toContain('[`compose.yaml`](compose.yaml)');
  });
});
