// Test-only: a database URL carrying a password, for tests that prove the password is never printed.

/** `url` with `password` set: the test PostgreSQL's trust auth ignores it, so only a leak would show it. */
export function urlWithPassword(url: string, password: string): string {
  const withPassword = new URL(url);
  withPassword.password = password;
  return withPassword.toString();
}
