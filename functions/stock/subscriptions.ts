import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ApiKeyRecord } from '#shared/http/api-key.ts';
import { jsonBody } from '#shared/http/api.ts';
import { requireScope } from '#shared/http/auth.ts';
import { HttpError, jsonResponse } from '#shared/http/errors.ts';
import type { Clock } from '#shared/domain/clock.ts';
import type { OutboundQueuePort } from '#shared/outbound/deliver.ts';
import * as admin from '#shared/outbound/admin.ts';
import type { SubscriptionRoute } from '#shared/http/subscription-routes.ts';

/**
 * The subscriptions admin API (docs/outbound.md), served by the stock function on the same API
 * keys: scope `subscriptions:admin` (or `admin`). A partner key manages its partner's
 * subscriptions only; another's answer 404 as if absent.
 *
 *   GET    /v1/subscriptions                    list
 *   POST   /v1/subscriptions                    create → 201, the whsec_ secret (shown once)
 *   GET    /v1/subscriptions/{id}               one
 *   PATCH  /v1/subscriptions/{id}               url, events, channels, locations, status (active | disabled)
 *   DELETE /v1/subscriptions/{id}               → 204
 *   POST   /v1/subscriptions/{id}/rotate-secret a second secret (shown once); the previous one signs for overlapSeconds (24 h)
 *   POST   /v1/subscriptions/{id}/end-rotation  only the newest secret signs
 *   GET    /v1/subscriptions/{id}/deliveries    the delivery log (?from, ?to)
 *   POST   /v1/subscriptions/{id}/replay        {from, to?} → 202, the newest value of each subject again
 */

export interface SubscriptionsRuntime {
  store: admin.SubscriptionAdminStore;
  /** the outbound queue (replay); absent: replay answers 503 */
  queue?: OutboundQueuePort;
  now: Clock;
}

const ERROR_STATUS = { not_found: 404, forbidden: 403, invalid: 400 } as const;

function optionalBody(event: APIGatewayProxyEventV2): unknown {
  return event.body ? jsonBody(event.body, event.isBase64Encoded) : {};
}

export async function routeSubscriptions(
  rt: SubscriptionsRuntime,
  key: ApiKeyRecord,
  event: APIGatewayProxyEventV2,
  target: { route: SubscriptionRoute; id?: string },
): Promise<APIGatewayProxyStructuredResultV2> {
  requireScope(key, 'subscriptions:admin');
  const caller: admin.SubscriptionCaller = { partner: key.partner, channels: key.channels, locations: key.locations };
  const id = target.id ?? '';
  const query = event.queryStringParameters ?? {};
  try {
    switch (target.route) {
      case 'GET /v1/subscriptions':
        return jsonResponse(200, { data: (await admin.listSubscriptions(rt.store, caller)).map(admin.view) });
      case 'POST /v1/subscriptions': {
        const body = jsonBody(event.body, event.isBase64Encoded);
        const created = await admin.addSubscription(rt.store, caller, body, rt.now);
        return jsonResponse(201, { ...admin.view(created.subscription), secret: created.secret });
      }
      case 'GET /v1/subscriptions/{id}':
        return jsonResponse(200, admin.view(await admin.getSubscription(rt.store, caller, id)));
      case 'PATCH /v1/subscriptions/{id}': {
        const body = jsonBody(event.body, event.isBase64Encoded);
        return jsonResponse(200, admin.view(await admin.updateSubscription(rt.store, caller, id, body, rt.now)));
      }
      case 'DELETE /v1/subscriptions/{id}':
        await admin.removeSubscription(rt.store, caller, id);
        return { statusCode: 204, headers: {}, body: '' };
      case 'POST /v1/subscriptions/{id}/rotate-secret': {
        const { overlapSeconds } = admin.parseWith(admin.RotateSchema, optionalBody(event));
        const rotated = await admin.rotate(rt.store, caller, id, rt.now, overlapSeconds);
        return jsonResponse(200, { ...admin.view(rotated.subscription), secret: rotated.secret });
      }
      case 'POST /v1/subscriptions/{id}/end-rotation':
        return jsonResponse(200, admin.view(await admin.endRotation(rt.store, caller, id)));
      case 'GET /v1/subscriptions/{id}/deliveries': {
        const log = await admin.deliveryLog(rt.store, caller, id, { from: query.from, to: query.to }, rt.now);
        return jsonResponse(200, {
          from: log.from,
          to: log.to,
          data: log.deliveries.map((d) => ({
            eventId: d.event.id,
            type: d.event.type,
            at: d.event.at,
            data: d.event.data,
            status: d.status,
            attempts: d.attempts,
            ...(d.lastStatusCode !== undefined ? { lastStatusCode: d.lastStatusCode } : {}),
            ...(d.lastError !== undefined ? { lastError: d.lastError } : {}),
            updatedAt: d.updatedAt,
          })),
        });
      }
      case 'POST /v1/subscriptions/{id}/replay': {
        if (!rt.queue)
          throw new HttpError(503, 'unavailable', 'replay needs the outbound queue (HUB_OUTBOUND_QUEUE_URL)');
        const body = jsonBody(event.body, event.isBase64Encoded);
        return jsonResponse(202, await admin.replayRange(rt.store, rt.queue, caller, id, body, rt.now));
      }
    }
  } catch (err) {
    if (err instanceof admin.SubscriptionAdminError)
      throw new HttpError(ERROR_STATUS[err.kind], err.kind === 'invalid' ? 'invalid_request' : err.kind, err.message);
    throw err;
  }
}
