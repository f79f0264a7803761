// A CSV row as the Segment event the API would have received: built from the header's columns,
// then checked by the API's own schemas (api/ingest/segment.ts) and normaliser
// (api/ingest/normalize.ts), so an imported row is valid exactly when the same call to
// /v1/identify or /v1/batch would be. Cells are text; JSON columns carry typed values.
import type { ErrorDetail } from '../../api/errors.js';
import { zodDetails } from '../../api/errors.js';
import { IdentifyFields, kinds, maxEventBytes, type Kind, type SegmentEvent } from '../../api/ingest/segment.js';
import { normalise, traitAliases, type IdentityOptions } from '../../api/ingest/normalize.js';
import { badFieldName, eventLimits } from '../../api/ingest/limits.js';
import { tooDeep } from '../../api/body.js';
import type { Normalised } from '../routing.js';
import type { ImportKind } from '../../workflows/import-contract.js';

/** What reading a file's rows needs to know about the import. */
export interface ImportSpec {
  kind: ImportKind;
  columns: string[];
  /** SHA-256 of the file (hex): with the row's line, the id of a row that brings none. */
  sha256: string;
  /** When the import was received: the time of a row without `timestamp`. */
  receivedAt: Date;
  identity: IdentityOptions;
}

export interface RowError { column: string; message: string }
export type RowResult = { blank: true } | { ok: true; value: Normalised } | { ok: false; errors: RowError[] };

/** Columns that are the event's own fields (the rest are traits, or properties/traits/context paths). */
const customerFields = ['userId', 'anonymousId', 'messageId', 'timestamp'];
const eventFields = ['type', 'messageId', 'userId', 'anonymousId', 'timestamp', 'event', 'name', 'category', 'groupId', 'previousId'];
/** Columns holding a JSON object; `<name>.<path>` columns hold one text value at that path. */
const jsonColumns = ['properties', 'traits', 'context'];
/** Dotted paths go at most this deep (`properties.address.city` is 3). */
const maxPathDepth = 6;
/** A row's whole column: a wrong number of cells, too large as an event. */
export const wholeRow = '(row)';

/** The columns that name a customer in a customers file. */
export function identityColumns(identity: IdentityOptions): string[] {
  return ['userId', 'anonymousId', ...Object.values(traitAliases).flat(), ...identity.extraTraits];
}

/** A row's id when it brings none: the same file gives the same ids, so importing it again applies nothing twice. */
export const rowMessageId = (sha256: string, line: number): string => `imp-${sha256.slice(0, 32)}-${line}`;

/** What is wrong with a header, each problem naming its column (`columns.3`); none: the file can be read. */
export function checkColumns(kind: ImportKind, columns: string[], identity: IdentityOptions): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  const seen = new Set<string>();
  columns.forEach((name, i) => {
    const field = `columns.${i}`;
    if (name.trim() === '') return details.push({ field, message: 'an empty column name' });
    if (seen.has(name)) return details.push({ field, message: `${name} appears twice` });
    seen.add(name);
    const path = kind === 'customers' ? (customerFields.includes(name) || name === 'traits' ? [name] : ['traits', name]) : name.split('.');
    if (kind === 'events' && !eventFields.includes(name) && !jsonColumns.includes(path[0]!)) {
      return details.push({ field, message: `unknown column ${name}: expected ${eventFields.join(', ')}, properties, traits, context or properties.<name>, traits.<name>, context.<path>` });
    }
    if (path.length > maxPathDepth) return details.push({ field, message: `${name} nests deeper than ${maxPathDepth} levels` });
    const bad = path.slice(1).map((p) => badFieldName(p)).find(Boolean);
    if (bad) details.push({ field, message: `${name}: ${bad}` });
    return undefined;
  });
  if (kind === 'customers') {
    const ids = identityColumns(identity);
    if (!columns.some((c) => ids.includes(c))) details.push({ field: 'columns', message: `no identity column: give at least one of ${ids.join(', ')}` });
    const traits = columns.filter((c) => !customerFields.includes(c) && c !== 'traits').length;
    if (traits > eventLimits.traits) details.push({ field: 'columns', message: `at most ${eventLimits.traits} trait columns (got ${traits})` });
  } else {
    if (!columns.includes('userId') && !columns.includes('anonymousId')) details.push({ field: 'columns', message: 'no userId or anonymousId column: every event names its customer' });
    if (!columns.includes('type') && !columns.includes('event')) details.push({ field: 'columns', message: 'no event column (rows without a type column are track events, which need one)' });
  }
  return details;
}

type Plain = Record<string, unknown>;
const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Sets an own property, whatever its name (a `__proto__` key stays data, and normalise refuses it). */
const put = (target: Plain, key: string, value: unknown): void => {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
};

function objectAt(root: Plain, path: string[]): Plain {
  let at = root;
  for (const key of path) {
    const next = Object.hasOwn(at, key) ? at[key] : undefined;
    if (isPlain(next)) at = next;
    else { const made: Plain = {}; put(at, key, made); at = made; }
  }
  return at;
}

/** A file's columns compiled once: each cell's place in the event, and each place's column for errors. */
export function rowReader(spec: ImportSpec): (cells: string[], line: number) => RowResult {
  const { kind, columns } = spec;
  const typeIndex = kind === 'events' ? columns.indexOf('type') : -1;
  // Traits of an event other than identify and group travel in its context (Segment's `context.traits`).
  const placed = (path: string[], type: Kind): string[] =>
    path[0] === 'traits' && type !== 'identify' && type !== 'group' ? ['context', ...path] : path;
  const pathOf = (name: string): string[] =>
    kind === 'customers' ? (customerFields.includes(name) || name === 'traits' ? [name] : ['traits', name]) : name.split('.');
  const plan = columns.map((name, index) => ({ name, index, path: pathOf(name), json: jsonColumns.includes(name) }));
  // JSON objects first, so that a `properties.total` column sets its value over a `properties` cell's.
  const ordered = [...plan.filter((c) => c.json), ...plan.filter((c) => !c.json)];

  return (cells, line) => {
    if (cells.every((c) => c.trim() === '')) return { blank: true };
    if (cells.length !== columns.length) return { ok: false, errors: [{ column: wholeRow, message: `${cells.length} cells, the header has ${columns.length}` }] };
    const errors: RowError[] = [];
    const typeCell = typeIndex >= 0 ? cells[typeIndex]!.trim() : '';
    const type = (kind === 'customers' ? 'identify' : typeCell || 'track') as Kind;
    if (!(type in kinds)) return { ok: false, errors: [{ column: 'type', message: `not one of ${Object.keys(kinds).join(', ')}` }] };
    const columnOf = new Map<string, string>();
    const event: Plain = {};
    for (const { name, index, path, json } of ordered) {
      const cell = cells[index]!;
      if (index === typeIndex || cell === '') continue;
      const at = placed(path, type);
      columnOf.set(at.join('.'), name);
      if (!json) { put(objectAt(event, at.slice(0, -1)), at[at.length - 1]!, cell); continue; }
      let value: unknown;
      try { value = JSON.parse(cell); } catch { errors.push({ column: name, message: 'not valid JSON' }); continue; }
      if (!isPlain(value)) { errors.push({ column: name, message: 'expected a JSON object' }); continue; }
      if (tooDeep(value, eventLimits.depth) !== undefined) { errors.push({ column: name, message: `nested deeper than ${eventLimits.depth} levels` }); continue; }
      const target = objectAt(event, at);
      for (const [key, item] of Object.entries(value)) put(target, key, item);
    }
    if (errors.length > 0) return { ok: false, errors };
    event.messageId ??= rowMessageId(spec.sha256, line);
    const column = (field: string): string => {
      for (let parts = field.split('.'); parts.length > 0; parts = parts.slice(0, -1)) {
        const found = columnOf.get(parts.join('.'));
        if (found) return found;
      }
      return field;
    };
    const parsed = (kind === 'customers' ? IdentifyFields : kinds[type]).safeParse(event);
    if (!parsed.success) return { ok: false, errors: zodDetails(parsed.error).map((d) => ({ column: column(d.field), message: d.message })) };
    if (Buffer.byteLength(JSON.stringify(parsed.data)) > maxEventBytes) return { ok: false, errors: [{ column: wholeRow, message: `over ${maxEventBytes} bytes as an event` }] };
    const n = normalise({ ...parsed.data, type } as SegmentEvent, '', spec.identity, spec.receivedAt);
    if (!n.ok) return { ok: false, errors: n.details.map((d) => ({ column: column(d.field), message: d.message })) };
    if (n.value.identities.length === 0) return { ok: false, errors: [{ column: wholeRow, message: 'no identity: every identity cell of the row is empty' }] };
    return { ok: true, value: n.value };
  };
}
