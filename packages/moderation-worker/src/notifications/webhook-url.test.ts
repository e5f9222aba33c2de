import { describe, expect, it } from 'vitest';
import { redactWebhookUrl, scrubWebhookUrl, webhookUrlProblem } from './webhook-url.js';

const URL_WITH_TOKEN = 'https://discord.com/api/webhooks/123456789012345678/AbCdEf-token_value-XYZ';

describe('webhook URL redaction', () => {
  it('keeps the host and the webhooks prefix, hides the id and token', () => {
    expect(redactWebhookUrl(URL_WITH_TOKEN)).toBe('https://discord.com/api/webhooks/****');
  });

  it('hides the whole path of a URL that is not Discord-shaped', () => {
    expect(redactWebhookUrl('http://hooks.internal:8080/notify/s3cr3t?key=abc')).toBe(
      'http://hooks.internal:8080/****',
    );
    expect(redactWebhookUrl('not a url')).toBe('****');
  });

  it('removes the URL, its path and its long segments from error text', () => {
    const text = `POST ${URL_WITH_TOKEN} failed; path /api/webhooks/123456789012345678/AbCdEf-token_value-XYZ; token AbCdEf-token_value-XYZ`;
    const clean = scrubWebhookUrl(text, URL_WITH_TOKEN);
    expect(clean).not.toContain('AbCdEf-token_value-XYZ');
    expect(clean).not.toContain('123456789012345678');
    expect(clean).toBe('POST **** failed; path ****; token ****');
  });
});

describe('webhook URL validation', () => {
  it('accepts http and https URLs', () => {
    expect(webhookUrlProblem(URL_WITH_TOKEN)).toBeNull();
    expect(webhookUrlProblem('http://127.0.0.1:8080/hook')).toBeNull();
  });

  it('names what is wrong without quoting the URL', () => {
    expect(webhookUrlProblem('discord.com/api/webhooks/1/secret-token')).toBe('is not a valid URL');
    expect(webhookUrlProblem('ftp://files.example/secret-token')).toBe('must use http: or https: (got ftp:)');
  });
});

describe('webhook secret fragments', () => {
  const token = 'AbCdEf-token_value-XYZ';

  it('removes any piece of the id or token of 8 characters or more, wherever it stands', () => {
    const text = `token prefix ${token.slice(0, 10)}… suffix …${token.slice(-9)} id ${'123456789012345678'.slice(2, 12)} cut ${token.slice(5, 13)}`;
    const clean = scrubWebhookUrl(text, URL_WITH_TOKEN);
    for (let i = 0; i + 8 <= token.length; i += 1) expect(clean).not.toContain(token.slice(i, i + 8));
    expect(clean).toBe('token prefix ****… suffix …**** id **** cut ****');
  });

  it('leaves shorter pieces and ordinary words alone', () => {
    expect(scrubWebhookUrl(`webhooks api ${token.slice(0, 7)} discord.com`, URL_WITH_TOKEN)).toBe(
      `webhooks api ${token.slice(0, 7)} discord.com`,
    );
  });

  it('redacts query values and the password of a webhook URL of another shape', () => {
    const url = 'https://user:pa55word-long@hooks.internal/notify/abcdefghijkl?key=qwertyuiop123';
    expect(scrubWebhookUrl('seen qwertyuiop and pa55word-l and cdefghijk', url)).toBe(
      'seen **** and **** and ****',
    );
  });
});
