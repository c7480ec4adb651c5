/**
 * The API token the user logged in with: in sessionStorage (this tab only, gone when it
 * closes), never in a cookie (no CSRF) or a URL (no leak into history or logs).
 */
const KEY = 'nimbus.token';

export function getToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setToken(token: string): void {
  sessionStorage.setItem(KEY, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(KEY);
}
