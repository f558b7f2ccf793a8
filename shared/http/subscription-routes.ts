import { HTTP_API_ROUTES, type RouteKeyOf } from '#shared/http/routes.ts';

/** The subscriptions admin API's route keys: the stock function's routes under /v1/subscriptions. */
export type SubscriptionRoute = Extract<RouteKeyOf<'stock'>, `${string} /v1/subscriptions${string}`>;

export const SUBSCRIPTION_ROUTES = HTTP_API_ROUTES.filter(
  (r) => r.path.startsWith('/v1/subscriptions/') || r.path === '/v1/subscriptions',
).map((r) => `${r.method} ${r.path}` as SubscriptionRoute);
