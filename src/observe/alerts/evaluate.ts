/**
 * The alert decision, a pure function: a rule, its previous state, the metric's value
 * now (null: no data) and the time → the next state and, when it changed, the event.
 * ok ──breach──► pending ──held `for`──► firing ──no breach──► ok (resolved)
 *
 * `covered` false: the value was taken over less than the rule's window (the platform
 * started less than a window ago, and the recent window holds only what it saw since).
 * Then no breach is no proof that the condition ended: a firing alert (restored after a
 * restart) stays firing until the window is covered, rather than resolving on no data.
 */
import { breaches, type AlertRule } from './rule.ts';

export type AlertStatus = 'ok' | 'pending' | 'firing';

export interface AlertState {
  readonly status: AlertStatus;
  /** When the current status began (epoch ms). */
  readonly since: number;
  readonly value: number | null;
}

export interface AlertTransition {
  readonly kind: 'firing' | 'resolved';
  readonly value: number | null;
}

export const INITIAL: AlertState = { status: 'ok', since: 0, value: null };

export function evaluate(
  rule: AlertRule,
  prev: AlertState,
  value: number | null,
  now: number,
  covered = true,
): { state: AlertState; event: AlertTransition | null } {
  const breach = value !== null && breaches(rule, value);
  if (!breach && !covered && prev.status === 'firing') return { state: { ...prev, value }, event: null };
  if (!breach) {
    if (prev.status === 'firing') return { state: { status: 'ok', since: now, value }, event: { kind: 'resolved', value } };
    return { state: { status: 'ok', since: prev.status === 'ok' ? prev.since : now, value }, event: null };
  }
  if (prev.status === 'firing') return { state: { ...prev, value }, event: null };
  const pendingSince = prev.status === 'pending' ? prev.since : now;
  if (now - pendingSince >= rule.forMs) return { state: { status: 'firing', since: now, value }, event: { kind: 'firing', value } };
  return { state: { status: 'pending', since: pendingSince, value }, event: null };
}
