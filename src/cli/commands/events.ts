/** `nimbus events publish <topic> …` (a CloudEvent, structured mode) and `nimbus topics ls|create|rm`. */
import { randomUUID } from 'node:crypto';
import { flag, has, inlineOrFile, jsonArg, onlyFlags, UsageError, type ParsedArgs } from '../args.ts';
import { call, type ClientOptions } from '../client.ts';
import { print, printJson, table, time } from '../format.ts';

const PUBLISH_USAGE =
  "usage: nimbus events publish <topic> --type <type> --source <source> [--subject S] [--id ID] [--data '{…}' | --data @file.json | --text T | --text @file.txt] [--ext name=value]…";

export async function events(client: ClientOptions, args: ParsedArgs): Promise<number> {
  const [sub, topic] = args.positionals;
  if (sub !== 'publish' || !topic) throw new UsageError(PUBLISH_USAGE);
  onlyFlags(args, ['type', 'source', 'subject', 'id', 'data', 'text', 'ext', 'json']);
  const type = flag(args, 'type');
  const source = flag(args, 'source');
  if (!type || !source) throw new UsageError(PUBLISH_USAGE);
  const event: Record<string, unknown> = { specversion: '1.0', id: flag(args, 'id') ?? randomUUID(), source, type, time: new Date().toISOString() };
  const subject = flag(args, 'subject');
  if (subject !== undefined) event.subject = subject;
  for (const pair of args.flags.get('ext') ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--ext ${JSON.stringify(pair)} must look like name=value`);
    event[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  // --data is JSON, as for `nimbus invoke`; plain text says so with --text.
  const data = flag(args, 'data');
  const text = flag(args, 'text');
  if (data !== undefined && text !== undefined) throw new UsageError('give --data (JSON) or --text (plain text), not both');
  if (data !== undefined) {
    event.data = jsonArg(data, '--data', `--data '{"total":9.5}', --data @event.json, or --text for plain text`);
    event.datacontenttype = 'application/json';
  } else if (text !== undefined) {
    event.data = inlineOrFile(text, '--text');
    event.datacontenttype = 'text/plain';
  }
  const answer = await call(client, 'POST', `/api/v1/events/${encodeURIComponent(topic)}`, event, { 'content-type': 'application/cloudevents+json' });
  const result = answer.body as { deliveries: number; ids: string[] };
  if (has(args, 'json')) return (printJson({ event, ...result }), 0);
  print(`✓ published ${String(event.id)} to ${topic}: ${result.deliveries} deliver${result.deliveries === 1 ? 'y' : 'ies'} queued`);
  for (const id of result.ids) print(`  ${id}`);
  return 0;
}

const TOPICS_USAGE = 'usage: nimbus topics [ls] | topics create <name> | topics rm <name>';

export async function topics(client: ClientOptions, args: ParsedArgs): Promise<number> {
  const [sub, name] = args.positionals;
  switch (sub) {
    case undefined:
    case 'ls': {
      onlyFlags(args, ['json']);
      const { items } = (await call(client, 'GET', '/api/v1/topics')).body as { items: Array<{ name: string; createdAt: number; subscriptions: number }> };
      if (has(args, 'json')) return (printJson(items), 0);
      print(items.length === 0 ? 'no topics; `nimbus topics create <name>` makes one' : table(['TOPIC', 'SUBSCRIPTIONS', 'CREATED'], items.map((t) => [t.name, t.subscriptions, time(t.createdAt)])));
      return 0;
    }
    case 'create': {
      onlyFlags(args, ['json']);
      if (!name) throw new UsageError(TOPICS_USAGE);
      const t = (await call(client, 'POST', '/api/v1/topics', { name })).body as { created: boolean };
      if (has(args, 'json')) return (printJson(t), 0);
      print(t.created ? `✓ created topic ${name}` : `topic ${name} exists already`);
      return 0;
    }
    case 'rm': {
      onlyFlags(args, []);
      if (!name) throw new UsageError(TOPICS_USAGE);
      await call(client, 'DELETE', `/api/v1/topics/${encodeURIComponent(name)}`);
      print(`✓ deleted topic ${name}`);
      return 0;
    }
    default:
      throw new UsageError(TOPICS_USAGE);
  }
}
