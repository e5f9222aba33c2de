import { randomBytes } from 'node:crypto';

/** Where a secret turned up: the source's name and a short excerpt around it (the secret masked). */
export interface SecretLeak {
  source: string;
  excerpt: string;
}

/**
 * Searches every captured text (logs, metrics, error messages, job data) for each secret, also in
 * its URL-encoded and base64 forms, so a leak through an encoded URL or header is caught too.
 */
export function findSecretLeaks(sources: Record<string, string>, secrets: string[]): SecretLeak[] {
  const leaks: SecretLeak[] = [];
  for (const secret of secrets) {
    if (secret.length < 8) throw new Error('findSecretLeaks: use secrets of at least 8 characters');
    const forms = new Set([secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')]);
    for (const [source, text] of Object.entries(sources)) {
      for (const form of forms) {
        const at = text.indexOf(form);
        if (at === -1) continue;
        const excerpt = text.slice(Math.max(0, at - 60), at + form.length + 60).replace(form, '<SECRET>');
        leaks.push({ source, excerpt });
      }
    }
  }
  return leaks;
}

/** A fresh engine token and webhook secret for one test, long and unique enough to grep for. */
export function testSecrets(): { engineToken: string; webhookSecret: string } {
  return {
    engineToken: `e2e-engine-token-${randomBytes(12).toString('hex')}`,
    webhookSecret: `e2e-webhook-secret-${randomBytes(12).toString('hex')}`,
  };
}
