import { z } from 'zod';
import { defineAdapter, eventBase, isoTime, parseJson, parseWith, unknownEvent } from '#shared/adapters/common.ts';

/**
 * eBay Notification API (docs/webhook-sources.md): `{metadata{topic, schemaVersion, deprecated},
 * notification{notificationId, eventDate, publishDate, publishAttemptCount, data}}`, the topic in
 * the body. `eventDate` is the event time.
 *
 * - ORDER_CONFIRMATION is thin and sent once per line item: it becomes HydrationPending for the
 *   order (the hydration fetch collapses the per-line duplicates on the order id).
 * - MARKETPLACE_ACCOUNT_DELETION is a data-deletion duty (purge what the hub holds about that eBay
 *   user), not commerce data: no canonical event; it is acknowledged and produces nothing here.
 */

const envelopeSchema = z.looseObject({
  metadata: z.looseObject({ topic: z.string().min(1) }),
  notification: z.looseObject({
    notificationId: z.string().min(1),
    eventDate: isoTime,
    data: z.looseObject({}),
  }),
});

const orderConfirmationSchema = z.looseObject({
  orderId: z.string().min(1),
  lineItemId: z.string().nullish(),
});

export const ebayAdapter = defineAdapter('ebay', ({ delivery, body }) => {
  const json = parseJson(body);
  const { metadata } = parseWith(
    z.looseObject({ metadata: z.looseObject({ topic: z.string().min(1) }) }),
    json,
    'ebay notification',
  );
  const topic = metadata.topic;
  if (topic !== 'ORDER_CONFIRMATION' && topic !== 'MARKETPLACE_ACCOUNT_DELETION') throw unknownEvent('ebay', topic);
  const env = parseWith(envelopeSchema, json, `ebay ${topic}`);
  if (topic === 'MARKETPLACE_ACCOUNT_DELETION') return [];

  const data = parseWith(orderConfirmationSchema, env.notification.data, `ebay ${topic}`, ['notification', 'data']);
  return [
    {
      ...eventBase(delivery, env.notification.eventDate),
      type: 'HydrationPending',
      entity: 'order',
      externalId: data.orderId,
      version: { at: env.notification.eventDate },
      detail: { topic, ...(data.lineItemId ? { lineItemId: data.lineItemId } : {}) },
    },
  ];
});
