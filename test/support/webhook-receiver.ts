import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/**
 * A subscriber's endpoint on 127.0.0.1: it verifies every delivery with the official Standard
 * Webhooks library (`standardwebhooks`, never the hub's own code) and answers 401 to one that does
 * not verify. `failNext(n)` answers the next n verified deliveries with 500.
 */
export interface Received {
  id: string;
  payload: { type: string; timestamp: string; id: string; data: Record<string, unknown> & { version: number } };
  headers: Record<string, string>;
}

export interface WebhookReceiver {
  url: string;
  received: Received[];
  rejected: number;
  failNext(n: number): void;
  /** the secrets it verifies with (any one verifying is enough) */
  secrets: string[];
  close(): Promise<void>;
}

export async function startReceiver(
  secrets: string[],
  opts: { failRate?: () => boolean } = {},
): Promise<WebhookReceiver> {
  let failing = 0;
  const state: WebhookReceiver = {
    url: '',
    received: [],
    rejected: 0,
    failNext: (n) => void (failing = n),
    secrets,
    close: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      let payload: Received['payload'] | undefined;
      for (const secret of state.secrets) {
        try {
          payload = new Webhook(secret).verify(body, headers) as Received['payload'];
          break;
        } catch {
          // try the next secret
        }
      }
      if (!payload) {
        state.rejected += 1;
        res.writeHead(401).end();
        return;
      }
      if (failing > 0 || opts.failRate?.()) {
        if (failing > 0) failing -= 1;
        res.writeHead(500).end();
        return;
      }
      state.received.push({ id: headers['webhook-id'] ?? '', payload, headers });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}
