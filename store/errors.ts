// What MongoDB's errors mean to a caller: already written, unreachable for now, or refused for
// good. Every write path decides retry or not from these three.
/** Duplicate-key errors mean "already written": what idempotent writes expect on a retry. */
export function isDuplicateKey(err: unknown): boolean {
  const e = err as { code?: number; writeErrors?: { code?: number; err?: { code?: number } }[] } | undefined;
  if (e?.code === 11000) return e.writeErrors?.every((w) => (w.code ?? w.err?.code) === 11000) ?? true;
  return Boolean(e?.writeErrors?.length) && e!.writeErrors!.every((w) => (w.code ?? w.err?.code) === 11000);
}

// Failures that mean "MongoDB cannot be reached now" (not "this request is wrong"): the driver's
// network and server-selection errors, mongoose's buffering timeout, and the codes a server
// answers while it steps down or shuts down (the driver's retryable codes).
const unreachableErrors = new Set([
  'MongoServerSelectionError', 'MongooseServerSelectionError', 'MongoNetworkError', 'MongoNetworkTimeoutError', 'MongoPoolClearedError',
  'MongoNotConnectedError', 'MongoTopologyClosedError', 'MongoServerClosedError', 'MongoClientClosedError', 'MongoOperationTimeoutError',
]);
const unreachableCodes = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);

/** true when an error (or its cause) says MongoDB is unreachable, so a retry later may succeed. */
export function isMongoUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; typeof e === 'object' && e !== null && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { name, message, code } = e as { name?: unknown; message?: unknown; code?: unknown };
    if (typeof name !== 'string') continue;
    if (unreachableErrors.has(name)) return true;
    if (name === 'MongooseError' && typeof message === 'string' && message.includes('buffering timed out')) return true;
    if (name === 'MongoServerError' && typeof code === 'number' && unreachableCodes.has(code)) return true;
  }
  return false;
}

// Refusals that no retry can change: the document itself is what MongoDB (or the driver, before
// sending it) will not store — past 16 MB, nested too deep, a field name it forbids.
const refusedCodes = new Set([2, 9, 10334, 14, 15, 17419, 17420, 52, 55, 56, 57, 121]);

/** true when a write failed because of what it holds, so every retry would fail the same way. */
export function isRefusedForGood(err: unknown): boolean {
  if (isMongoUnavailable(err)) return false;
  const e = err as { name?: unknown; code?: unknown; writeErrors?: { code?: number; err?: { code?: number } }[] } | undefined;
  if (e?.name === 'BSONError' || e?.name === 'BSONVersionError') return true;
  // The serializer's buffer overflows on a document past the largest MongoDB takes.
  if (err instanceof RangeError) return true;
  if (typeof e?.code === 'number' && refusedCodes.has(e.code)) return true;
  return Boolean(e?.writeErrors?.length) && e!.writeErrors!.some((w) => refusedCodes.has(w.code ?? w.err?.code ?? -1));
}
