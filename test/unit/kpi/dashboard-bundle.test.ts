import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import * as esbuild from 'esbuild';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { buildDashboardPage, pageModule } from '../../../dashboard/build.ts';

/**
 * The deployed kpi function serves the page from dashboard/generated/page.js, built before synth.
 * This bundles functions/kpi/handler.ts the way infra/hub-function.ts has NodejsFunction bundle it
 * (ESM, node22, minified, createRequire banner), with the generated page written to a temporary
 * file instead of the source tree, and asks the bundle for /dashboard.
 */
const dir = await mkdtemp(join(tmpdir(), 'kpi-bundle-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('the kpi function bundle', () => {
  it('serves the dashboard built at synth time, with no esbuild at run time', async () => {
    // Prepare
    const page = await buildDashboardPage();
    const generated = join(dir, 'page.js');
    await writeFile(generated, pageModule(page));
    const result = await esbuild.build({
      entryPoints: ['functions/kpi/handler.ts'],
      outfile: join(dir, 'index.mjs'),
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node22',
      minify: true,
      mainFields: ['module', 'main'],
      banner: {
        js: "import { createRequire as __hubCreateRequire } from 'node:module';const require = __hubCreateRequire(import.meta.url);",
      },
      logLevel: 'silent',
      plugins: [
        {
          name: 'generated-page',
          setup(b) {
            b.onResolve({ filter: /generated\/page\.js$/ }, () => ({ path: generated }));
          },
        },
      ],
      metafile: true,
    });
    // the builder (and esbuild with it) must stay out of the function
    expect(
      Object.keys(result.metafile.inputs).filter((p) => p.includes('esbuild') || p.endsWith('dashboard/build.ts')),
    ).toEqual([]);
    const prev = process.env.HUB_TABLE_NAME;
    process.env.HUB_TABLE_NAME = 'unused-by-the-page';

    // Act
    const mod = (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as {
      handler: (e: APIGatewayProxyEventV2, c: Context) => Promise<APIGatewayProxyStructuredResultV2>;
    };
    const res = await mod.handler(
      {
        routeKey: 'GET /dashboard',
        rawPath: '/dashboard',
        headers: {},
        requestContext: { http: { method: 'GET' } },
      } as unknown as APIGatewayProxyEventV2,
      {} as Context,
    );
    if (prev === undefined) delete process.env.HUB_TABLE_NAME;
    else process.env.HUB_TABLE_NAME = prev;

    // Assess
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toBe(page.html);
    expect(res.headers?.['content-security-policy']).toBe(page.csp);
    expect(page.csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]{44}'/);
  });
});
