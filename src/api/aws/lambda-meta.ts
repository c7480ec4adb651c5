/**
 * What Lambda says about a function that Nimbus's own function config does not hold: Runtime,
 * Handler, Role, Description, the zip's size and hash, and which versions were published.
 * One JSON file in the data directory, rewritten atomically; a function deployed another way
 * (CLI, REST API) has none and reads with the defaults of `metaOf`.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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

const FILE = 'aws-lambda.json';

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
  private readonly map = new Map<string, LambdaMeta>();

  constructor(private readonly dataDir: string) {
    const path = join(dataDir, FILE);
    if (existsSync(path)) for (const [k, v] of Object.entries(JSON.parse(readFileSync(path, 'utf8')) as Record<string, LambdaMeta>)) this.map.set(k, v);
  }

  metaOf(name: string): LambdaMeta {
    return this.map.get(name) ?? DEFAULT_META;
  }

  set(name: string, change: Partial<LambdaMeta>): LambdaMeta {
    const next = { ...this.metaOf(name), ...change };
    this.map.set(name, next);
    this.save();
    return next;
  }

  delete(name: string): void {
    if (this.map.delete(name)) this.save();
  }

  private save(): void {
    const path = join(this.dataDir, FILE);
    writeFileSync(path + '.tmp', JSON.stringify(Object.fromEntries(this.map)));
    renameSync(path + '.tmp', path);
  }
}
