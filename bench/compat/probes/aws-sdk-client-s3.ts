import { S3Client, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { FIXED_MS } from './fixtures.ts';

export default async function probe() {
  // Offline: presigning builds and signs a request; nothing is sent.
  const client = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' } });
  const signingDate = new Date(FIXED_MS);
  const get = await getSignedUrl(client, new GetObjectCommand({ Bucket: 'my-bucket', Key: 'dir/file name.txt' }), { expiresIn: 900, signingDate });
  const put = await getSignedUrl(client, new PutObjectCommand({ Bucket: 'my-bucket', Key: 'up.json', ContentType: 'application/json' }), { expiresIn: 60, signingDate });
  const pathStyle = new S3Client({ region: 'us-east-1', forcePathStyle: true, endpoint: 'http://127.0.0.1:9000', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const local = await getSignedUrl(pathStyle, new GetObjectCommand({ Bucket: 'b', Key: 'k' }), { signingDate });
  client.destroy();
  pathStyle.destroy();
  return { get, put, local, region: await client.config.region() };
}
