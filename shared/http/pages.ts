import { createHash } from 'node:crypto';

/**
 * The two small public HTML pages the docs function serves: the landing page at GET / (where a
 * newcomer who opens the hub's URL in a browser finds the dashboard, the API reference and
 * /health) and the API reference at GET /api, rendered on the server from the OpenAPI document.
 * Neither runs a script or loads anything from elsewhere, so the policy allows only their one
 * inline style, by hash.
 */

export interface HtmlPage {
  html: string;
  /** the Content-Security-Policy header that goes with this exact html */
  csp: string;
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
a{color:#0550ae}code,pre{font:13px/1.4 ui-monospace,monospace;background:#f3f4f6;border-radius:3px}code{padding:0 .2rem}
pre{padding:.5rem;overflow:auto}h2{margin-top:2rem;border-bottom:1px solid #d0d7de}
.op{border:1px solid #d0d7de;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}\
.m{font-weight:700;text-transform:uppercase;margin-right:.5rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #d0d7de;padding:.2rem .5rem;text-align:left;vertical-align:top}
.muted{color:#57606a}`;

function csp(style: string): string {
  const hash = createHash('sha256').update(style, 'utf8').digest('base64');
  return [
    "default-src 'none'",
    `style-src 'sha256-${hash}'`,
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Text for HTML element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function page(title: string, body: string): HtmlPage {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><link rel="icon" href="data:,"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>${body}</body></html>`;
  return { html, csp: csp(STYLE) };
}

/** Links are relative so the page works under any host and behind a tunnel. */
export function landingPage(): HtmlPage {
  return page(
    'Inventory webhook hub',
    `<h1>Inventory webhook hub</h1>
<p>Receives marketplace and partner webhooks, keeps stock per SKU and location, and answers stock and channel KPIs.</p>
<ul>
<li><a href="dashboard">KPI dashboard</a> <span class="muted">— paste an API key with <code>kpi:read</code></span></li>
<li><a href="api">API reference</a> \
<span class="muted">— every route, its parameters and answers (<a href="openapi.json">openapi.json</a>)</span></li>
<li><a href="health">Health</a> <span class="muted">— liveness</span></li>
</ul>
<p>Webhooks go to <code>POST /webhooks/{connectionId}</code>; stock and KPI reads take <code>Authorization: Bearer &lt;key&gt;</code>.</p>`,
  );
}

// biome-ignore lint/suspicious/noExplicitAny: an OpenAPI document is read as untyped JSON
type Json = Record<string, any>;

/** `#/components/schemas/StockRead` → `StockRead`; inline schemas by their type. */
function schemaName(schema: Json | undefined): string {
  if (!schema) return '';
  if (typeof schema.$ref === 'string') return schema.$ref.split('/').pop()!;
  if (schema.type === 'array') return `${schemaName(schema.items)}[]`;
  if (Array.isArray(schema.enum)) return schema.enum.map((v: unknown) => JSON.stringify(v)).join(' | ');
  if (schema.type) return String(schema.type);
  if (Array.isArray(schema.anyOf)) return schema.anyOf.map((s: Json) => schemaName(s)).join(' | ');
  return 'object';
}

/** A table row of cells (already HTML). */
function row(...cells: string[]): string {
  return `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
}

function schemaTable(name: string, schema: Json): string {
  const props = Object.entries((schema.properties ?? {}) as Record<string, Json>);
  const required = new Set<string>(schema.required ?? []);
  const rows = props
    .map(([p, s]) =>
      row(
        `<code>${escapeHtml(p)}</code>${required.has(p) ? '' : ' <span class="muted">optional</span>'}`,
        escapeHtml(schemaName(s)),
        escapeHtml(s.description ?? ''),
      ),
    )
    .join('');
  const description = schema.description ? `<p>${escapeHtml(schema.description)}</p>` : '';
  return `<h3 id="schema-${escapeHtml(name)}">${escapeHtml(name)}</h3>${description}${
    rows
      ? `<table><tr><th>field</th><th>type</th><th>meaning</th></tr>${rows}</table>`
      : `<p class="muted">${escapeHtml(schemaName(schema))}</p>`
  }`;
}

function typeLink(schema: Json | undefined): string {
  const name = schemaName(schema);
  if (schema && typeof schema.$ref === 'string') return `<a href="#schema-${escapeHtml(name)}">${escapeHtml(name)}</a>`;
  if (schema?.type === 'array' && typeof schema.items?.$ref === 'string') {
    const item = schemaName(schema.items);
    return `<a href="#schema-${escapeHtml(item)}">${escapeHtml(item)}</a>[]`;
  }
  return escapeHtml(name);
}

/** The OpenAPI document as one readable page: operations by tag, then the named schemas. */
export function apiReferencePage(doc: Json): HtmlPage {
  const ops: string[] = [];
  for (const [path, methods] of Object.entries((doc.paths ?? {}) as Record<string, Record<string, Json>>)) {
    for (const [method, op] of Object.entries(methods)) {
      const params = (op.parameters ?? []) as Json[];
      const paramRows = params
        .map((p) =>
          row(
            `<code>${escapeHtml(p.name)}</code>`,
            `${escapeHtml(p.in)}${p.required ? ', required' : ''}`,
            typeLink(p.schema),
            escapeHtml(p.description ?? ''),
          ),
        )
        .join('');
      const body = op.requestBody?.content as Record<string, Json> | undefined;
      const bodyText = body
        ? Object.entries(body)
            .map(([type, c]) => `<p>Body (<code>${escapeHtml(type)}</code>): ${typeLink(c.schema)}</p>`)
            .join('')
        : '';
      const responses = Object.entries((op.responses ?? {}) as Record<string, Json>)
        .map(([status, r]) => {
          const content = Object.values((r.content ?? {}) as Record<string, Json>)[0];
          return row(escapeHtml(status), escapeHtml(r.description ?? ''), content ? typeLink(content.schema) : '');
        })
        .join('');
      const auth =
        (op.security ?? []).length > 0 ? '<p class="muted">Authorization: Bearer &lt;hub API key&gt;</p>' : '';
      ops.push(`<div class="op" id="${escapeHtml(op.operationId ?? `${method}-${path}`)}">
<p><span class="m">${escapeHtml(method)}</span><code>${escapeHtml(path)}</code> — ${escapeHtml(op.summary ?? '')}</p>
${op.description ? `<p>${escapeHtml(op.description)}</p>` : ''}${auth}
${paramRows ? `<table><tr><th>parameter</th><th>in</th><th>type</th><th>meaning</th></tr>${paramRows}</table>` : ''}${bodyText}
<table><tr><th>status</th><th>meaning</th><th>body</th></tr>${responses}</table></div>`);
    }
  }
  const schemas = Object.entries((doc.components?.schemas ?? {}) as Record<string, Json>)
    .map(([name, s]) => schemaTable(name, s))
    .join('\n');
  const info = (doc.info ?? {}) as Json;
  return page(
    `${info.title ?? 'API'} — API reference`,
    `<p><a href="./">← hub</a> · <a href="openapi.json">openapi.json</a></p>
<h1>${escapeHtml(info.title ?? 'API')} <span class="muted">${escapeHtml(info.version ?? '')}</span></h1>
<p>${escapeHtml(info.description ?? '')}</p>
<h2>Operations</h2>
${ops.join('\n')}
<h2>Schemas</h2>
${schemas}`,
  );
}
