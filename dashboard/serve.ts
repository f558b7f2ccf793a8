import type { DashboardPage } from './page.ts';

/**
 * The dashboard page for the kpi function, built once per container.
 *
 * From sources (tsx, vitest, the local hub — this module's URL ends in `.ts`) the page is built
 * with esbuild on first request, so an edit shows after a restart with no build step. The import
 * of the builder is computed, so esbuild leaves it out of a bundle (it needs the esbuild binary).
 *
 * Bundled (Lambda) the page comes from dashboard/generated/page.js, which `cdk synth` writes first
 * (cdk.json "build" runs dashboard/build.ts); the literal import below is resolved by the
 * function's esbuild bundling, so the page is inside the deployed code. A synth without that file
 * fails loudly ("Could not resolve ./generated/page.js") rather than deploying a broken page.
 */
let page: Promise<DashboardPage> | undefined;

async function load(): Promise<DashboardPage> {
  if (import.meta.url.endsWith('.ts')) {
    const builder = new URL('./build.ts', import.meta.url).href;
    const mod = (await import(builder)) as typeof import('./build.ts');
    return mod.buildDashboardPage();
  }
  const generated = await import('./generated/page.js');
  return { html: generated.html, csp: generated.csp };
}

export function dashboardPage(): Promise<DashboardPage> {
  if (!page) {
    page = load();
    // a failed build is not remembered: the next request tries again
    page.catch(() => (page = undefined));
  }
  return page;
}
