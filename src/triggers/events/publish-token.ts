/**
 * How a function publishes events from inside: its `env` carries NIMBUS_EVENTS_URL (the
 * platform's POST /api/v1/events endpoint) and NIMBUS_EVENTS_TOKEN, a token scoped to
 * publishing only, derived from the platform token with HMAC so nothing is stored:
 *
 *   nfp_<function>.<base64url(HMAC-SHA256(platform token, "publish:" + function))>
 *
 * The function POSTs a CloudEvent with its ordinary outbound fetch; no runtime bridge needed.
 */
import { createHmac } from 'node:crypto';
import { sameSecret } from '../../core/same-secret.ts';

export const EVENTS_URL_ENV = 'NIMBUS_EVENTS_URL';
export const EVENTS_TOKEN_ENV = 'NIMBUS_EVENTS_TOKEN';

export function publishTokenFor(secret: string, functionName: string): string {
  const mac = createHmac('sha256', secret).update(`publish:${functionName}`).digest('base64url');
  return `nfp_${functionName}.${mac}`;
}

/** The function a publish token belongs to, or null when it is not a valid one. */
export function verifyPublishToken(secret: string, token: string): string | null {
  const m = /^nfp_([A-Za-z0-9][A-Za-z0-9_-]{0,63})\.[A-Za-z0-9_-]+$/.exec(token);
  if (!m) return null;
  return sameSecret(token, publishTokenFor(secret, m[1])) ? m[1] : null;
}

/** Env variables added to every instance of a function. */
export function publishEnv(secret: string, eventsUrl: string, functionName: string): Record<string, string> {
  return { [EVENTS_URL_ENV]: eventsUrl, [EVENTS_TOKEN_ENV]: publishTokenFor(secret, functionName) };
}
