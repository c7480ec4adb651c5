import { MongoClient, ObjectId, BSON, Decimal128, Long } from 'mongodb';

export default async function probe() {
  // Offline: the client parses its connection string; nothing connects until a command.
  const client = new MongoClient('mongodb://user:p%40ss@h1.example:27017,h2.example/app?replicaSet=rs0&retryWrites=true&w=majority&appName=probe', { serverSelectionTimeoutMS: 1000 });
  const o = client.options as unknown as { hosts: Array<{ host: string; port: number }>; dbName: string; replicaSet: string; retryWrites: boolean; appName: string; credentials?: { username: string } };
  const id = new ObjectId('65e07a7f0123456789abcdef');
  const doc = { _id: id, n: Long.fromString('9007199254740993'), d: Decimal128.fromString('12.50'), when: new Date(Date.UTC(2024, 1, 29)), tags: ['a', 'b'] };
  const bytes = BSON.serialize(doc);
  const back = BSON.deserialize(bytes, { promoteLongs: false });
  await client.close();
  return {
    hosts: o.hosts.map((h) => `${h.host}:${h.port}`),
    options: [o.dbName, o.replicaSet, o.retryWrites, o.appName, o.credentials?.username],
    id: [id.toHexString(), id.getTimestamp().toISOString()],
    bson: Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(''),
    back: { id: String(back._id), n: String(back.n), d: String(back.d), when: (back.when as Date).toISOString(), tags: back.tags },
  };
}
