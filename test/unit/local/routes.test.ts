import { describe, expect, it } from 'vitest';
import { HTTP_API_ROUTES } from '#infra/local/http.ts';
import { synthHubTemplate } from '#infra/local/template.ts';

describe('local HTTP routes', () => {
  it('are exactly the HTTP API routes the stack declares', () => {
    // Prepare
    const template = synthHubTemplate();

    // Act
    const declared = Object.values(
      template.Resources as Record<string, { Type: string; Properties: { RouteKey: string } }>,
    )
      .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
      .map((r) => r.Properties.RouteKey)
      .sort();

    // Assess
    expect(declared.length).toBeGreaterThan(0);
    expect(HTTP_API_ROUTES.map((r) => `${r.method} ${r.path}`).sort()).toEqual(declared);
  });

  it('send stock and subscription paths to stock and KPI paths (reported figures and the KPI dashboard too) to kpi', () => {
    for (const r of HTTP_API_ROUTES) {
      if (r.target === 'stock')
        expect(r.path.startsWith('/v1/stock') || r.path.startsWith('/v1/subscriptions'), r.path).toBe(true);
      const kpi =
        r.path.startsWith('/v1/kpis/') || r.path === '/dashboard' || r.path === '/v1/channels/{channel}/figures';
      if (r.target === 'kpi') expect(kpi, r.path).toBe(true);
    }
  });
});
