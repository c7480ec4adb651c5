/**
 * Wiring of observability for the composition root: with it on, the real Recorder and
 * LogCollector, an observer for the dispatcher, and (once the pools exist) the
 * Observability service; with it off (`--no-observability`), do-nothing stand-ins.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import type { Config } from '../config/config.ts';
import type { Clock } from '../core/clock.ts';
import { NimbusError } from '../core/errors.ts';
import { sendProblem } from '../gateway/problem.ts';
import { LogCollector } from '../observe/log-collector.ts';
import { Observability } from '../observe/observability.ts';
import { InvocationObserver } from '../observe/observer.ts';
import { OffLogCollector, OffRecorder } from '../observe/off.ts';
import { loadPriceSheet } from '../observe/pricing.ts';
import { Recorder } from '../observe/recorder.ts';
import type { PoolRegistry } from '../pool/registry.ts';
import type { Store } from '../store/ports.ts';
import type { Logger } from './logger.ts';
import { openFileRecordLedger } from './record-ledger-file.ts';

export function observabilityParts(config: Config, clock: Clock, store: Store, logger: Logger) {
  if (!config.observability) {
    return { logs: new OffLogCollector(clock) as LogCollector, recorder: new OffRecorder(store.invocations, clock) as Recorder, observer: undefined, ledger: undefined };
  }
  const logs = new LogCollector(config.logLimitBytes, clock);
  const ledger = openFileRecordLedger(join(config.dataDir, 'records.ledger'));
  const { lost, issued, committed } = ledger.previous;
  if (lost > 0) {
    logger.warn({ lost, issued, committed }, `the previous run stopped before ${lost} invocation records were written: they are lost (nimbus_records_lost_previous_run; docs/observability.md)`);
  }
  const recorder = new Recorder(
    store.invocations,
    clock,
    config.recordFlushMs,
    (error, n) => logger.error({ err: error, records: n }, 'writing invocation records failed; will retry'),
    ledger,
  );
  return { logs, recorder, observer: new InvocationObserver(() => clock.monotonic()), ledger };
}

/** Rules from the --alerts file: a list, or { rules: [...] }. */
export function loadAlertRules(path: string): unknown[] {
  if (path === '') return [];
  let value: unknown;
  try {
    value = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new NimbusError('NIMBUS_ERR_VALIDATION', `config alertRules: cannot read ${path}: ${(error as Error).message}`, { extra: { field: 'alertRules' } });
  }
  const list = Array.isArray(value) ? value : (value as { rules?: unknown })?.rules;
  if (!Array.isArray(list)) throw new NimbusError('NIMBUS_ERR_VALIDATION', `config alertRules: ${path} must hold a list of rules (or { rules: [...] })`, { extra: { field: 'alertRules' } });
  return list;
}

export function buildObservability(
  config: Config,
  parts: ReturnType<typeof observabilityParts>,
  deps: { clock: Clock; store: Store; pools: PoolRegistry; logger: Logger },
): Observability | undefined {
  if (!parts.observer) return undefined;
  const { logger } = deps;
  return new Observability({
    ...deps,
    recordsLostPreviousRun: parts.ledger?.previous.lost,
    recorder: parts.recorder,
    logs: parts.logs,
    observer: parts.observer,
    prices: loadPriceSheet(config.prices),
    retention: { maxAgeMs: config.recordRetentionMs, keep: config.recordRetentionCount },
    alerts: { intervalMs: config.alertIntervalMs, webhookUrl: config.alertWebhook, rules: loadAlertRules(config.alertRules) },
    onError: (error, what) => logger.error({ err: error }, what),
    onInfo: (fields, msg) => logger.info(fields, msg),
  });
}

/**
 * GET /metrics. Needs the bearer token unless `--metrics-public` (`authorize` is then null);
 * Prometheus sends it with `authorization: { credentials_file: <data>/token }`.
 */
export function metricsHandler(observability: Observability | undefined, authorize: ((headers: IncomingHttpHeaders) => void) | null) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      authorize?.(req.headers);
    } catch (error) {
      sendProblem(res, error, req.url ?? '/metrics', { 'www-authenticate': 'Bearer' });
      return;
    }
    if (!observability) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('# observability is switched off (--no-observability)\n');
      return;
    }
    const text = await observability.metricsText();
    res.writeHead(200, { 'content-type': observability.metrics.contentType, 'content-length': Buffer.byteLength(text) });
    res.end(req.method === 'HEAD' ? undefined : text);
  };
}
