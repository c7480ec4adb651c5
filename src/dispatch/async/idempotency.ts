/**
 * The Idempotency-Key header of an async submit: a repeat submit with the same key for the
 * same function, while the key is remembered, returns the first event's id instead of
 * queueing another. The store keeps (function, key) → id; this file validates the key and
 * says whether a remembered entry still applies.
 */
import { NimbusError } from '../../core/errors.ts';

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/** How long a key is remembered by default: 24 hours, as Stripe does. */
export const DEFAULT_IDEMPOTENCY_TTL_MS = 86_400_000;

/**
 * Returns the key, or null when the header is absent. Accepts the bare form
 * (`Idempotency-Key: abc`) and the quoted structured-field form of the IETF draft
 * (`Idempotency-Key: "abc"`). 1..255 visible ASCII characters (0x21-0x7E).
 */
export function parseIdempotencyKey(header: string | null | undefined): string | null {
  if (header === undefined || header === null) return null;
  let key = header.trim();
  if (key.length >= 2 && key.startsWith('"') && key.endsWith('"')) key = key.slice(1, -1);
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key)) {
    throw new NimbusError(
      'NIMBUS_ERR_VALIDATION',
      `Idempotency-Key must be 1-${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters without spaces (a UUID works well)`,
      { extra: { field: 'Idempotency-Key' } },
    );
  }
  return key;
}

/** Whether a key remembered at `rememberedAt` still deduplicates a submit at `now`. */
export function idempotencyEntryLive(rememberedAt: number, now: number, ttlMs = DEFAULT_IDEMPOTENCY_TTL_MS): boolean {
  return now - rememberedAt < ttlMs;
}
