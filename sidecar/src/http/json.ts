/**
 * The one JSON parser for request bodies (API and inbound). `JSON.parse` itself copes with any
 * depth, but everything that walks a value afterwards (serialising a message, logging) recurses
 * and overflows the stack a few thousand levels down, turning one hostile value into a 500
 * that takes the rest of the request with it. So depth is bounded here, before parsing, by a
 * scan of the raw bytes.
 */

/** How deep one value may nest: a request body, an inbound event, or one item of a batch. */
export const MAX_JSON_DEPTH = 100;

export class JsonSyntaxError extends Error {
  override name = 'JsonSyntaxError';
}

export class JsonTooDeepError extends Error {
  override name = 'JsonTooDeepError';
  constructor(readonly maxDepth: number) {
    super(`The JSON nests deeper than ${maxDepth} levels.`);
  }
}

/**
 * Stands in for an item of a batch (an element of an array held by a top-level property, such
 * as one of `messages`) that nested deeper than the bound. Only the item's `id` is kept, so the
 * route can reject that item alone; JSON cannot produce an instance of this class.
 */
export class OverDeepItem {
  constructor(readonly id: unknown) {}
}

interface Mark {
  key: string;
  index: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Index of the quote closing the string that opens at `start`, or -1 if unterminated. */
function stringEnd(buf: Buffer, start: number): number {
  let j = start + 1;
  for (;;) {
    j = buf.indexOf(QUOTE, j);
    if (j < 0) return -1;
    let k = j - 1;
    while (buf[k] === BACKSLASH) k--;
    if ((j - 1 - k) % 2 === 0) return j;
    j++;
  }
}

/**
 * Depth scan of raw JSON. Outside batches, a container deeper than `max` throws. With
 * `batches`, each item of an array held by a property of the top-level object is measured from
 * itself, and an item deeper than `max` is marked instead. Malformed input is left for
 * `JSON.parse` to report.
 */
function scan(buf: Buffer, max: number, batches: boolean): Mark[] {
  const marks: Mark[] = [];
  let depth = 0;
  let topIsObject = false;
  let keyStart = -1;
  let keyEnd = -1;
  let batch: { key: string; index: number; marked: boolean } | null = null;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (c === QUOTE) {
      const end = stringEnd(buf, i);
      if (end < 0) break;
      // The last string at depth 1 before an array opens there is that array's property name.
      if (depth === 1) [keyStart, keyEnd] = [i, end + 1];
      i = end;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth === 1) topIsObject = c === 0x7b;
      else if (depth === 2 && batches && topIsObject && c === 0x5b) batch = { key: propertyName(buf, keyStart, keyEnd), index: 0, marked: false };
      if (batch && depth > 2) {
        if (depth - 2 > max && !batch.marked) {
          marks.push({ key: batch.key, index: batch.index });
          batch.marked = true;
        }
      } else if (depth > max) throw new JsonTooDeepError(max);
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth < 2) batch = null;
    } else if (c === 0x2c && depth === 2 && batch) {
      batch.index++;
      batch.marked = false;
    }
  }
  return marks;
}

function propertyName(buf: Buffer, start: number, end: number): string {
  try {
    return start < 0 ? '' : String(JSON.parse(buf.toString('utf8', start, end)));
  } catch {
    return '';
  }
}

/**
 * Parses a UTF-8 JSON body with its depth bounded (see {@link scan}). Throws
 * {@link JsonSyntaxError} or {@link JsonTooDeepError}; with `batches`, over-deep batch items
 * come back as {@link OverDeepItem}s.
 */
export function parseJsonBody(buf: Buffer, opts: { batches?: boolean; maxDepth?: number } = {}): unknown {
  const marks = scan(buf, opts.maxDepth ?? MAX_JSON_DEPTH, opts.batches ?? false);
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw new JsonSyntaxError((err as Error).message);
  }
  for (const { key, index } of marks) {
    const list = Object.hasOwn(value as object, key) ? (value as Record<string, unknown>)[key] : undefined;
    if (!Array.isArray(list) || index >= list.length) continue;
    const item = list[index] as Record<string, unknown> | null;
    list[index] = new OverDeepItem(typeof item === 'object' && item !== null && !Array.isArray(item) ? item.id : undefined);
  }
  return value;
}
