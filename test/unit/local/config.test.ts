import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoHubConfig, ConfigError, loadHubConfig, parseHubConfig, readHubConfigFile } from '#infra/local/config.ts';

const shop = { id: 'shop-1', source: 'shopify', channel: 'shopify-eu', secret: 'abc' };
const key = { key: 'k'.repeat(32), scopes: ['stock:read'], partner: null };

function tempFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'hubcfg-')), 'hub.config.json');
  writeFileSync(path, text);
  return path;
}

describe('hub config', () => {
  it('normalises a single secret into secrets and defaults apiKeys', () => {
    // Act
    const cfg = parseHubConfig({ connections: [shop] });

    // Assess
    expect(cfg.connections[0]).toMatchObject({ id: 'shop-1', secrets: ['abc'], partner: null });
    expect(cfg.connections[0]).not.toHaveProperty('secret');
    expect(cfg.apiKeys).toEqual([]);
  });

  it('names every problem with its path, without a stack trace', () => {
    // Prepare
    const bad = {
      connections: [shop, { ...shop, secret: undefined }, { ...shop, id: 'x', source: 'etsy' }],
      apiKeys: [
        { ...key, scopes: ['stock:delete'] },
        { key: 'short', scopes: ['admin'] },
      ],
      merchant: { timeZone: 'Mars/Olympus' },
    };

    // Act
    let err: unknown;
    try {
      parseHubConfig(bad, 'HUB_CONFIG=x.json');
    } catch (e) {
      err = e;
    }

    // Assess
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    expect(message).toMatch(/^HUB_CONFIG=x\.json is not a valid hub config:/);
    expect(message).toContain('connections[2].source');
    expect(message).toContain('apiKeys[0].scopes[0]');
    expect(message).toContain('apiKeys[1].key: an API key must be at least 16 characters');
    expect(message).toContain('apiKeys[1].partner'); // partner must be stated, even as null
    expect(message).toContain('merchant.timeZone: not an IANA time zone');
    expect(message).toContain('a secret is required for source shopify');
    expect(message).not.toMatch(/\n\s+at /);
  });

  it('rejects duplicate connection ids, duplicate keys and misspelt fields', () => {
    expect(() => parseHubConfig({ connections: [shop, shop] })).toThrow(
      /connections\[1\]\.id: duplicate connection id "shop-1"/,
    );
    expect(() => parseHubConfig({ connections: [], apiKeys: [key, key] })).toThrow(
      /apiKeys\[1\]\.key: duplicate API key/,
    );
    expect(() => parseHubConfig({ connections: [], apiKeys: [{ ...key, scope: ['admin'] }] })).toThrow(/scope/);
    expect(() => parseHubConfig({ connection: [] })).toThrow(ConfigError);
  });

  it('accepts $comment fields, merchant time zone and partner-limited keys', () => {
    const cfg = parseHubConfig({
      $comment: 'doc',
      connections: [{ ...shop, $comment: 'ignored by the connection schema' }],
      apiKeys: [{ ...key, $comment: 'dealer', partner: 'acme', channels: ['shopify-eu'], locations: ['berlin'] }],
      merchant: { timeZone: 'Asia/Kolkata' },
    });
    expect(cfg.apiKeys[0]).toMatchObject({ partner: 'acme', channels: ['shopify-eu'], locations: ['berlin'] });
    expect(cfg.merchant?.timeZone).toBe('Asia/Kolkata');
  });

  it('reports an unreadable file and bad JSON as ConfigError', () => {
    expect(() => readHubConfigFile('/nonexistent/hub.json')).toThrow(
      /HUB_CONFIG=\/nonexistent\/hub\.json: cannot read .*ENOENT/,
    );
    expect(() => readHubConfigFile(tempFile('{ "connections": [ }'))).toThrow(/not valid JSON/);
    try {
      readHubConfigFile(
        tempFile('{"connections": [{"id": "a b", "source": "shopify", "channel": "c", "secret": "s"}]}'),
      );
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toContain('connections[0].id');
    }
  });

  it('loads HUB_CONFIG when set and a demo config otherwise', () => {
    // Prepare
    const path = tempFile(JSON.stringify({ connections: [shop], apiKeys: [key] }));

    // Act
    const fromFile = loadHubConfig({ HUB_CONFIG: path });
    const demo = loadHubConfig({});

    // Assess
    expect(fromFile.path).toBe(path);
    expect(fromFile.config.connections.map((c) => c.id)).toEqual(['shop-1']);
    expect(demo.path).toBeUndefined();
    expect(demo.config.connections.map((c) => [c.id, c.source, c.channel, c.partner])).toEqual([
      ['demo-shop', 'shopify', 'shopify-demo', null],
      ['demo-partner', 'standard-webhooks', 'partner-demo', 'acme-dealer'],
    ]);
  });

  it('makes fresh demo secrets on every call, in each scheme’s format', () => {
    const a = demoHubConfig();
    const b = demoHubConfig();
    expect(a.connections[0]!.secrets[0]).toMatch(/^[0-9a-f]{32}$/);
    const whsec = a.connections[1]!.secrets[0]!;
    expect(whsec).toMatch(/^whsec_/);
    expect(Buffer.from(whsec.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);
    expect(a.connections[0]!.secrets[0]).not.toBe(b.connections[0]!.secrets[0]);
    expect(a.apiKeys[0]!.key).not.toBe(b.apiKeys[0]!.key);
    expect(a.apiKeys[0]).toMatchObject({
      partner: null,
      scopes: ['stock:read', 'stock:write', 'kpi:read', 'kpi:write', 'subscriptions:admin', 'admin'],
    });
  });

  it('parses hub.config.example.json', () => {
    const cfg = readHubConfigFile(new URL('../../../hub.config.example.json', import.meta.url).pathname);
    expect(cfg.connections.map((c) => c.source).sort()).toEqual([
      'bigcommerce',
      'shopify',
      'square',
      'standard-webhooks',
      'walmart',
      'woocommerce',
    ]);
    expect(cfg.connections.find((c) => c.source === 'square')?.notificationUrl).toMatch(/^https?:\/\//);
    expect(cfg.connections.find((c) => c.source === 'standard-webhooks')?.partner).toBeTruthy();
    expect(cfg.connections.find((c) => c.source === 'bigcommerce')?.authHeaderName).toBeTruthy();
    expect(cfg.apiKeys).toHaveLength(2);
    expect(cfg.apiKeys.filter((k) => k.partner !== null)).toHaveLength(1);
    // the raw file documents itself
    expect(
      JSON.parse(readFileSync(new URL('../../../hub.config.example.json', import.meta.url), 'utf8')).$comment,
    ).toBeTruthy();
  });
});
