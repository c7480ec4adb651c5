/** `nimbus aws-keys create|ls|rm`: access keys for the AWS-compatible endpoint (docs/aws.md). */
import { flag, has, onlyFlags, UsageError, type ParsedArgs } from '../args.ts';
import { call, type ClientOptions } from '../client.ts';
import { print, printJson, table, time } from '../format.ts';

interface KeyView {
  accessKeyId: string;
  createdAt: number;
  description: string;
  secretAccessKey?: string;
  region?: string;
  endpointUrl?: string;
}

/** A single-quoted shell word: the line printed works when pasted as it is. */
const shellWord = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

const USAGE = 'usage: nimbus aws-keys create [--description TEXT] [--json] | aws-keys ls [--json] | aws-keys rm <accessKeyId>';

export async function awsKeys(client: ClientOptions, args: ParsedArgs): Promise<number> {
  const [sub, ...rest] = args.positionals;
  if (sub === 'create') {
    onlyFlags(args, ['json', 'description']);
    const description = flag(args, 'description');
    const key = (await call(client, 'POST', '/api/v1/aws-keys', description === undefined ? {} : { description })).body as KeyView;
    if (has(args, 'json')) return (printJson(key), 0);
    print(`accessKeyId      ${key.accessKeyId}`);
    print(`secretAccessKey  ${key.secretAccessKey}`);
    print('The secret is shown this once; Nimbus keeps it encrypted. For the aws CLI and SDKs:');
    const region = shellWord(key.region ?? 'us-east-1');
    print(`  export AWS_ACCESS_KEY_ID=${shellWord(key.accessKeyId)} AWS_SECRET_ACCESS_KEY=${shellWord(key.secretAccessKey ?? '')} AWS_REGION=${region} AWS_DEFAULT_REGION=${region}`);
    print(`  aws lambda list-functions --endpoint-url ${key.endpointUrl ?? client.url}`);
    return 0;
  }
  if (sub === 'ls' || sub === undefined) {
    onlyFlags(args, ['json']);
    const { items } = (await call(client, 'GET', '/api/v1/aws-keys')).body as { items: KeyView[] };
    if (has(args, 'json')) return (printJson(items), 0);
    if (items.length === 0) return (print('no AWS access keys yet: nimbus aws-keys create'), 0);
    print(table(['ACCESS KEY ID', 'CREATED', 'DESCRIPTION'], items.map((k) => [k.accessKeyId, time(k.createdAt), k.description])));
    return 0;
  }
  if (sub === 'rm') {
    onlyFlags(args, []);
    const [id] = rest;
    if (!id) throw new UsageError(USAGE);
    await call(client, 'DELETE', `/api/v1/aws-keys/${encodeURIComponent(id)}`);
    print(`removed ${id}`);
    return 0;
  }
  throw new UsageError(USAGE);
}
