import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one way the hub logs: a Powertools Logger (JSON lines with level, timestamp, service, and
 * the Lambda context once a handler's `injectLambdaContext` middleware has run). Functions get
 * theirs through `createTelemetry`; shared code that has no telemetry of its own (the read APIs'
 * error mapping, the stock count use case, the channel config reader) logs through the logger of
 * its area from here. The local hub's request and poller lines stay plain text for a terminal
 * (docs/operations.md).
 */

/** `inventory-hub-<function>`: the Powertools service name, also the `service` metric dimension. */
export function serviceNameOf(fn: string): string {
  return `inventory-hub-${fn}`;
}

export function hubLogger(fn: string, env: NodeJS.ProcessEnv = process.env): Logger {
  return new Logger({ serviceName: serviceNameOf(fn), persistentKeys: { stage: env.HUB_STAGE ?? 'local' } });
}
