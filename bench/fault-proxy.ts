import { mulberry32 } from './prng.ts';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fault-injecting HTTP proxy for `npm run soak`: it sits between the local hub and moto and, with
 * a seeded probability, fails the calls a running hub makes on its data path (never provisioning):
 *
 *  - DynamoDB (`X-Amz-Target: DynamoDB_20120810.<Op>`): 400 ThrottlingException or 500;
 *  - SQS (`X-Amz-Target: AmazonSQS.<Op>`, the SDK's JSON protocol): 500;
 *  - either: the request is forwarded and moto applies it, then the response is dropped (the
 *    client's socket is destroyed): a lost response after the write happened.
 *
 * Loopback only. The fault sequence is a pure function of the seed and the order in which calls
 * arrive (which concurrency makes vary from run to run; the rates do not).
 */

export type FaultKind = 'throttle' | 'error500' | 'drop';
export type Service = 'dynamodb' | 'sqs';

export interface FaultRates {
  /** DynamoDB only: 400 ThrottlingException */
  throttle: number;
  /** 500 InternalServerError / InternalError */
  error500: number;
  /** forward, then destroy the client socket instead of answering */
  drop: number;
}

export interface FaultProxyOptions {
  /** where moto listens, e.g. http://127.0.0.1:5000 */
  target: string;
  seed: number;
  dynamodb: FaultRates;
  sqs: Omit<FaultRates, 'throttle'>;
  /** default 0: any free loopback port */
  port?: number;
}

export interface FaultProxyStats {
  requests: number;
  dataPlane: number;
  throttle: number;
  error500: number;
  drop: number;
  /** calls failed (500) because an outage was on */
  outage: number;
  /** per operation: faults injected */
  byOperation: Record<string, number>;
  /** per forwarded data-plane operation: calls and total upstream milliseconds */
  upstream: Record<string, { calls: number; ms: number }>;
}

export interface FaultProxy {
  url: string;
  port: number;
  readonly stats: FaultProxyStats;
  /** turn fault injection on or off (requests are always forwarded) */
  setEnabled(on: boolean): void;
  /** every data-plane call to `service` fails with a 500 for the next `ms` milliseconds (an outage) */
  outage(service: Service, ms: number): void;
  close(): Promise<void>;
}

/** Calls that read or change data. Everything else (Create*, Describe*, Get*Attributes, moto-api, S3, Secrets Manager) passes untouched. */
export const DYNAMODB_DATA_OPS: ReadonlySet<string> = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'BatchWriteItem',
  'TransactWriteItems',
  'TransactGetItems',
]);
export const SQS_DATA_OPS: ReadonlySet<string> = new Set([
  'SendMessage',
  'SendMessageBatch',
  'ReceiveMessage',
  'DeleteMessage',
  'DeleteMessageBatch',
  'ChangeMessageVisibility',
  'ChangeMessageVisibilityBatch',
]);

export type CallClass = { service: Service; operation: string } | undefined;

/** Which data-plane call a request is, from its X-Amz-Target header; undefined = never faulted. */
export function classifyCall(target: string | undefined): CallClass {
  if (!target) return undefined;
  const dot = target.indexOf('.');
  if (dot < 0) return undefined;
  const prefix = target.slice(0, dot);
  const operation = target.slice(dot + 1);
  if (prefix.startsWith('DynamoDB_') && DYNAMODB_DATA_OPS.has(operation)) return { service: 'dynamodb', operation };
  if (prefix === 'AmazonSQS' && SQS_DATA_OPS.has(operation)) return { service: 'sqs', operation };
  return undefined;
}

/** the bench's seeded PRNG (mulberry32), under the name this module's callers use */
export const seededRandom = mulberry32;

/** One draw per data-plane call: which fault, if any. Exported for the unit test. */
export function decideFault(
  call: CallClass,
  random: () => number,
  opts: Pick<FaultProxyOptions, 'dynamodb' | 'sqs'>,
): FaultKind | undefined {
  if (!call) return undefined;
  const r = random();
  const rates: FaultRates = call.service === 'dynamodb' ? opts.dynamodb : { throttle: 0, ...opts.sqs };
  if (r < rates.throttle) return 'throttle';
  if (r < rates.throttle + rates.error500) return 'error500';
  if (r < rates.throttle + rates.error500 + rates.drop) return 'drop';
  return undefined;
}

function faultBody(call: NonNullable<CallClass>, kind: 'throttle' | 'error500'): { status: number; body: string } {
  if (call.service === 'dynamodb') {
    return kind === 'throttle'
      ? {
          status: 400,
          body: JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException',
            message: 'Rate exceeded',
          }),
        }
      : {
          status: 500,
          body: JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
            message: 'Internal server error (injected)',
          }),
        };
  }
  return {
    status: 500,
    body: JSON.stringify({ __type: 'com.amazonaws.sqs#InternalError', message: 'Internal error (injected)' }),
  };
}

export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = new URL(opts.target);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(upstream.hostname))
    throw new Error(`fault proxy: loopback targets only, got ${opts.target}`);
  const random = seededRandom(opts.seed);
  const stats: FaultProxyStats = {
    requests: 0,
    dataPlane: 0,
    throttle: 0,
    error500: 0,
    drop: 0,
    outage: 0,
    byOperation: {},
    upstream: {},
  };
  let enabled = true;
  const outageUntil: Record<Service, number> = { dynamodb: 0, sqs: 0 };
  const sockets = new Set<import('node:net').Socket>();

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    stats.requests++;
    const call = classifyCall(req.headers['x-amz-target'] as string | undefined);
    if (call) stats.dataPlane++;
    const down = enabled && call !== undefined && Date.now() < outageUntil[call.service];
    const fault = down ? 'error500' : enabled ? decideFault(call, random, opts) : undefined;
    if (down) stats.outage++;
    else if (fault && call) {
      stats[fault]++;
      const name = `${call.service}.${call.operation}.${fault}`;
      stats.byOperation[name] = (stats.byOperation[name] ?? 0) + 1;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (call && (fault === 'throttle' || fault === 'error500')) {
        const f = faultBody(call, fault);
        res.writeHead(f.status, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-requestid': `injected-${stats.requests}`,
          'content-length': Buffer.byteLength(f.body),
        });
        res.end(f.body);
        return;
      }
      const body = Buffer.concat(chunks);
      const headers = { ...req.headers, host: upstream.host };
      const sentAt = performance.now();
      const up = httpRequest(
        { hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
        (upRes) => {
          const parts: Buffer[] = [];
          upRes.on('data', (c: Buffer) => parts.push(c));
          upRes.on('error', () => res.destroy());
          upRes.on('end', () => {
            if (call) {
              const u = (stats.upstream[`${call.service}.${call.operation}`] ??= { calls: 0, ms: 0 });
              u.calls++;
              u.ms += performance.now() - sentAt;
            }
            if (fault === 'drop') {
              // moto did the work; the caller never hears of it
              res.socket?.destroy();
              return;
            }
            res.writeHead(upRes.statusCode ?? 502, upRes.headers);
            res.end(Buffer.concat(parts));
          });
        },
      );
      up.on('error', () => res.destroy());
      // the caller went away (aborted long poll, killed hub): stop waiting upstream too
      res.on('close', () => {
        if (!res.writableEnded) up.destroy();
      });
      up.end(body);
    });
  };

  const server: Server = createServer(handle);
  server.keepAliveTimeout = 5_000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    stats,
    setEnabled(on) {
      enabled = on;
    },
    outage(service, ms) {
      outageUntil[service] = Date.now() + ms;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closing;
    },
  };
}
