/** The shape of a scenario and the settings every scenario is run with. */
import type { Recorder, TargetInfo } from './results.ts';

export interface Settings {
  /** Measured rounds; in each round every target runs once, in a fixed order. */
  readonly rounds: number;
  /** Seconds of load per target per round. */
  readonly durationSec: number;
  /** Seconds of unrecorded load per target before round 1. */
  readonly warmupSec: number;
  /** A smoke run: short, fewer items; results go to bench/results/quick/. */
  readonly quick: boolean;
  log(message: string): void;
}

export interface ScenarioOutput {
  readonly targets: TargetInfo[];
  readonly settings: Record<string, string | number | boolean>;
  /** Target id that ratios are computed against (default: raw-node). */
  readonly baseline?: string;
  /** Metric id shown in the summary table (default: the first recorded). */
  readonly headline?: string;
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  /** What is measured and how, one paragraph; shown in RESULTS.md. */
  readonly description: string;
  run(s: Settings, rec: Recorder): Promise<ScenarioOutput>;
}
