/**
 * The subscriptions admin API's routes (served by the stock function: functions/stock/subscriptions.ts),
 * declared once for the stack, the local runner and the handler.
 */
export const SUBSCRIPTION_ROUTES = [
  'GET /v1/subscriptions',
  'POST /v1/subscriptions',
  'GET /v1/subscriptions/{id}',
  'PATCH /v1/subscriptions/{id}',
  'DELETE /v1/subscriptions/{id}',
  'POST /v1/subscriptions/{id}/rotate-secret',
  'POST /v1/subscriptions/{id}/end-rotation',
  'GET /v1/subscriptions/{id}/deliveries',
  'POST /v1/subscriptions/{id}/replay',
] as const;
export type SubscriptionRoute = (typeof SUBSCRIPTION_ROUTES)[number];
