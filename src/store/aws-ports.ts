/**
 * What the AWS-compatible layer (src/api/aws/) keeps beside Nimbus's own state: the access
 * keys it issued, and the Lambda facts of functions (Runtime, Handler, Role, ... which
 * Nimbus's function config does not hold). In the store, so every node of a cluster knows
 * the same keys and facts. aws-contract.ts is the suite every implementation must pass.
 */
export interface AwsKeyRow {
  readonly accessKeyId: string;
  readonly createdAt: number;
  readonly description: string;
  /** The secret access key sealed with the platform's SecretBox; never the secret itself. */
  readonly sealedSecret: string;
}

export interface AwsKeyRepo {
  /** Adds a key; false (and nothing changed) when a key of that id exists. */
  insert(key: AwsKeyRow): Promise<boolean>;
  get(accessKeyId: string): Promise<AwsKeyRow | null>;
  /** Every key, oldest first (ties by id). */
  list(): Promise<AwsKeyRow[]>;
  /** false when there was none. */
  delete(accessKeyId: string): Promise<boolean>;
}

/** A function's Lambda facts, as a JSON object the AWS layer reads and writes whole. */
export type LambdaFacts = Readonly<Record<string, unknown>>;

export interface LambdaFactsRepo {
  get(functionName: string): Promise<LambdaFacts | null>;
  /** Facts of every function that has some, by name. */
  all(): Promise<Map<string, LambdaFacts>>;
  /**
   * Replaces a function's facts by what `next` makes of the current ones (null: none), as one
   * step: concurrent updates of one function (from any node) each see the other's result.
   * `next` is pure and may be called more than once (a retried transaction).
   */
  update(functionName: string, next: (current: LambdaFacts | null) => LambdaFacts): Promise<LambdaFacts>;
  /** Writes them only when the function has none; false when it had. */
  putIfAbsent(functionName: string, facts: LambdaFacts): Promise<boolean>;
  /** false when there were none. */
  delete(functionName: string): Promise<boolean>;
}
