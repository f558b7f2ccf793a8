/**
 * Update and condition expressions built from attribute names and values, never by concatenating
 * text: every attribute becomes a `#n<i>` name and every value a `:v<i>` placeholder, so no
 * attribute name collides with a DynamoDB reserved word (`location`, `status`, `type`) and no two
 * fragments reuse a placeholder. The output is the `update` / `condition` / `names` / `values` of
 * a table port write (shared/table/port.ts) or, spelled as the SDK wants it, of an UpdateCommand.
 *
 * Hand-written rather than dynamodb-toolbox: that library wants an entity schema for every item
 * type before it builds an expression, and the hub's items are plain records written through one
 * port and two clients. The forms are few: SET, SET if_not_exists, ADD, REMOVE; comparisons,
 * attribute_exists / attribute_not_exists, AND / OR. The in-memory table
 * (shared/table/memory-table.ts) evaluates what goes through the port: all but OR and the
 * comparisons other than `=`, which only the document-client writes under shared/aws/ use.
 */

const IF_NOT_EXISTS: unique symbol = Symbol('if_not_exists');

/** `SET attr = if_not_exists(attr, value)`: keeps the stored value, writes `value` only where none is. */
export interface IfNotExists {
  readonly [IF_NOT_EXISTS]: unknown;
}

export function ifNotExists(value: unknown): IfNotExists {
  return { [IF_NOT_EXISTS]: value };
}

function isIfNotExists(v: unknown): v is IfNotExists {
  return typeof v === 'object' && v !== null && IF_NOT_EXISTS in v;
}

export interface UpdateActions {
  /** attribute → value, or `ifNotExists(value)` */
  set?: Record<string, unknown>;
  /** attribute → number added (a missing attribute counts as 0) */
  add?: Record<string, number>;
  remove?: readonly string[];
}

type Comparator = '=' | '<>' | '<' | '<=' | '>' | '>=';

export type Condition =
  | { readonly kind: 'exists' | 'notExists'; readonly attr: string }
  | { readonly kind: 'compare'; readonly attr: string; readonly op: Comparator; readonly value: unknown }
  | { readonly kind: 'and' | 'or'; readonly parts: readonly Condition[] };

export const exists = (attr: string): Condition => ({ kind: 'exists', attr });
export const notExists = (attr: string): Condition => ({ kind: 'notExists', attr });
export const eq = (attr: string, value: unknown): Condition => ({ kind: 'compare', attr, op: '=', value });
export const lt = (attr: string, value: unknown): Condition => ({ kind: 'compare', attr, op: '<', value });
export const le = (attr: string, value: unknown): Condition => ({ kind: 'compare', attr, op: '<=', value });
export const and = (...parts: Condition[]): Condition => ({ kind: 'and', parts });
export const or = (...parts: Condition[]): Condition => ({ kind: 'or', parts });

/** The expression parts of one request (the table port's field names). */
export interface Expression {
  update?: string;
  condition?: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

/** One request's placeholders: an attribute keeps its `#n` across the update and the condition. */
class Placeholders {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  private readonly byAttr = new Map<string, string>();
  private valueCount = 0;

  name(attr: string): string {
    let n = this.byAttr.get(attr);
    if (!n) {
      n = `#n${this.byAttr.size}`;
      this.byAttr.set(attr, n);
      this.names[n] = attr;
    }
    return n;
  }

  value(v: unknown): string {
    const p = `:v${this.valueCount++}`;
    this.values[p] = v;
    return p;
  }
}

function updateText(actions: UpdateActions, ph: Placeholders): string {
  const clauses: string[] = [];
  const set = Object.entries(actions.set ?? {}).map(([attr, v]) => {
    const n = ph.name(attr);
    return isIfNotExists(v) ? `${n} = if_not_exists(${n}, ${ph.value(v[IF_NOT_EXISTS])})` : `${n} = ${ph.value(v)}`;
  });
  if (set.length) clauses.push(`SET ${set.join(', ')}`);
  const add = Object.entries(actions.add ?? {}).map(([attr, d]) => `${ph.name(attr)} ${ph.value(d)}`);
  if (add.length) clauses.push(`ADD ${add.join(', ')}`);
  const remove = (actions.remove ?? []).map((attr) => ph.name(attr));
  if (remove.length) clauses.push(`REMOVE ${remove.join(', ')}`);
  if (!clauses.length) throw new Error('an update needs at least one action');
  return clauses.join(' ');
}

function conditionText(c: Condition, ph: Placeholders, nested = false): string {
  switch (c.kind) {
    case 'exists':
      return `attribute_exists(${ph.name(c.attr)})`;
    case 'notExists':
      return `attribute_not_exists(${ph.name(c.attr)})`;
    case 'compare':
      return `${ph.name(c.attr)} ${c.op} ${ph.value(c.value)}`;
    case 'and':
    case 'or': {
      if (!c.parts.length) throw new Error(`an empty ${c.kind.toUpperCase()}`);
      const text = c.parts.map((p) => conditionText(p, ph, true)).join(` ${c.kind.toUpperCase()} `);
      return nested && c.parts.length > 1 ? `(${text})` : text;
    }
  }
}

/** An update (and its optional condition) with generated names and values. */
export function updateExpression(actions: UpdateActions, condition?: Condition): Expression & { update: string } {
  const ph = new Placeholders();
  const update = updateText(actions, ph);
  return withPlaceholders({ update, ...(condition ? { condition: conditionText(condition, ph) } : {}) }, ph);
}

/** A condition alone (a conditional put or delete). */
export function conditionExpression(condition: Condition): Expression & { condition: string } {
  const ph = new Placeholders();
  return withPlaceholders({ condition: conditionText(condition, ph) }, ph);
}

function withPlaceholders<E extends Expression>(e: E, ph: Placeholders): E {
  return {
    ...e,
    ...(Object.keys(ph.names).length ? { names: ph.names } : {}),
    ...(Object.keys(ph.values).length ? { values: ph.values } : {}),
  };
}

/** The same parts spelled as the SDK's UpdateCommand / PutCommand input fields. */
export function sdkExpression(e: Expression): {
  UpdateExpression?: string;
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
} {
  return {
    ...(e.update ? { UpdateExpression: e.update } : {}),
    ...(e.condition ? { ConditionExpression: e.condition } : {}),
    ...(e.names ? { ExpressionAttributeNames: e.names } : {}),
    ...(e.values ? { ExpressionAttributeValues: e.values } : {}),
  };
}
