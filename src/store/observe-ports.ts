/**
 * Store ports of observability: usage per function-hour (written by InvocationRepo.insertMany
 * in the same transaction as the records, so usage always equals the sum of the records
 * written, and a replaced record is counted once), and alert rules with their history.
 */
import type { UsageAmounts } from '../core/usage.ts';

export interface UsageRow extends UsageAmounts {
  readonly functionName: string;
  /** Epoch ms of the start of the hour. */
  readonly hour: number;
}

export interface UsageQuery {
  readonly functionName?: string;
  /** Hours starting at or after (epoch ms; rounded down to the hour). */
  readonly since?: number;
  /** Hours starting before. */
  readonly until?: number;
}

export interface UsageRepo {
  /** By hour, then function. */
  list(query: UsageQuery): Promise<UsageRow[]>;
}

export type AlertOrigin = 'api' | 'config';

export interface AlertRuleRecord {
  readonly name: string;
  /** The rule as validated (observe/alerts/rule.ts). */
  readonly rule: Readonly<Record<string, unknown>>;
  readonly origin: AlertOrigin;
  readonly createdAt: number;
}

export type AlertEventKind = 'firing' | 'resolved';

export interface AlertEventRecord {
  readonly id: string;
  readonly rule: string;
  readonly kind: AlertEventKind;
  readonly at: number;
  readonly value: number | null;
  readonly detail: string;
  /** Whether the webhook accepted it (false also when none is configured or all retries failed). */
  readonly delivered: boolean;
}

/** A rule's last evaluated state (observe/alerts/evaluate.ts AlertState), kept across restarts. */
export interface AlertStateRecord {
  readonly rule: string;
  readonly status: 'ok' | 'pending' | 'firing';
  /** When the status began (epoch ms). */
  readonly since: number;
  readonly value: number | null;
}

export interface AlertRepo {
  putRule(rule: AlertRuleRecord): Promise<void>;
  getRule(name: string): Promise<AlertRuleRecord | null>;
  listRules(): Promise<AlertRuleRecord[]>;
  deleteRule(name: string): Promise<boolean>;
  /** Deletes every rule of an origin (config rules are re-read on each start). */
  deleteRulesOf(origin: AlertOrigin): Promise<number>;
  addEvent(event: AlertEventRecord): Promise<void>;
  /** Saves a rule's state, and the event of its transition (when it has one) in the same transaction. */
  saveState(state: AlertStateRecord, event?: AlertEventRecord): Promise<void>;
  listStates(): Promise<AlertStateRecord[]>;
  /** Forgets a rule's state (its rule was replaced or deleted). */
  deleteState(rule: string): Promise<void>;
  markDelivered(id: string): Promise<void>;
  /** Newest first. */
  listEvents(query: { rule?: string; limit: number }): Promise<AlertEventRecord[]>;
}
