/**
 * What Lambda says about a function that Nimbus's own function config does not hold: Runtime,
 * Handler, Role, Description, the zip's size and hash, and which versions were published.
 * In the store (LambdaFactsRepo), read on each use, so every node of a cluster sees the same;
 * a function deployed another way (CLI, REST API) has none and reads with the defaults of `metaOf`.
 */
import type { LambdaFactsRepo } from '../../store/aws-ports.ts';

export interface LambdaMeta {
  readonly runtime: string;
  readonly handler: string;
  readonly role: string;
  readonly description: string;
  /** base64 SHA-256 of the zip, and its size: what CodeSha256 and CodeSize report. */
  readonly codeSha256: string;
  readonly codeSize: number;
  /** Nimbus versions made visible by PublishVersion, ascending. */
  readonly published: readonly number[];
  /** Lambda ReservedConcurrentExecutions, as last put (null: none). */
  readonly reservedConcurrency: number | null;
  /** Lambda alias Descriptions by alias name (a Nimbus alias has none of its own); absent: none. */
  readonly aliasDescriptions?: Readonly<Record<string, string>>;
}

export const DEFAULT_META: LambdaMeta = {
  runtime: 'nodejs20.x',
  handler: 'index.handler',
  role: '',
  description: '',
  codeSha256: '',
  codeSize: 0,
  published: [],
  reservedConcurrency: null,
};

export class LambdaMetaStore {
  constructor(private readonly repo: LambdaFactsRepo) {}

  async metaOf(name: string): Promise<LambdaMeta> {
    const facts = await this.repo.get(name);
    return facts === null ? DEFAULT_META : { ...DEFAULT_META, ...(facts as Partial<LambdaMeta>) };
  }

  /** Every function's facts by name (functions without any are absent: DEFAULT_META). */
  async all(): Promise<Map<string, LambdaMeta>> {
    const out = new Map<string, LambdaMeta>();
    for (const [name, facts] of await this.repo.all()) out.set(name, { ...DEFAULT_META, ...(facts as Partial<LambdaMeta>) });
    return out;
  }

  /**
   * Merges a change into the function's facts as one step in the store: a change made from
   * the current facts (a function of them) sees every change made before it, on any node.
   */
  async set(name: string, change: Partial<LambdaMeta> | ((current: LambdaMeta) => Partial<LambdaMeta>)): Promise<LambdaMeta> {
    const facts = await this.repo.update(name, (stored) => {
      const current: LambdaMeta = { ...DEFAULT_META, ...((stored ?? {}) as Partial<LambdaMeta>) };
      return { ...current, ...(typeof change === 'function' ? change(current) : change) };
    });
    return facts as unknown as LambdaMeta;
  }

  async delete(name: string): Promise<void> {
    await this.repo.delete(name);
  }
}
