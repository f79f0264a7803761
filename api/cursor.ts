// Page cursors for lists sorted newest first by a time, ties broken by id: opaque to clients.

export interface Cursor { timestamp: Date; id: string }

export const encodeCursor = (c: Cursor): string =>
  Buffer.from(JSON.stringify([c.timestamp.toISOString(), c.id])).toString('base64url');

/** The cursor, or undefined when the text is not one this API gave out. */
export function decodeCursor(cursor: string): Cursor | undefined {
  try {
    const [ts, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [string, string];
    const timestamp = new Date(ts);
    return typeof id === 'string' && !Number.isNaN(timestamp.getTime()) ? { timestamp, id } : undefined;
  } catch {
    return undefined;
  }
}
