import Stripe from 'stripe';
import { FIXED_SEC } from './fixtures.ts';

export default async function probe() {
  const stripe = new Stripe('sk_test_nimbus_compat_probe', { maxNetworkRetries: 0 });
  const payload = JSON.stringify({ id: 'evt_1', object: 'event', type: 'payment_intent.succeeded', data: { object: { id: 'pi_1', amount: 2000 } } });
  const secret = 'whsec_test_secret';
  const header = await stripe.webhooks.generateTestHeaderStringAsync({ payload, secret, timestamp: FIXED_SEC });
  const event = await stripe.webhooks.constructEventAsync(payload, header, secret, 300, undefined, FIXED_SEC + 5);
  let forged = '';
  try {
    await stripe.webhooks.constructEventAsync(payload, header.replace(/v1=./, 'v1=0'), secret, 300, undefined, FIXED_SEC + 5);
  } catch (e) {
    forged = (e as Error).constructor.name + ': ' + (e as Error).message.split('\n')[0];
  }
  return { header, event: { id: event.id, type: event.type }, forged, resources: ['customers', 'paymentIntents', 'checkout'].map((k) => typeof (stripe as unknown as Record<string, unknown>)[k]) };
}
