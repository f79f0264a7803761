// An upload streamed to a file as it arrives, hashed on the way: memory stays one chunk whatever
// the file's size, and the limit is enforced on the bytes received (Content-Length is checked
// first, so an announced oversized file is refused before a byte is read).
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import { ApiError } from '../errors.js';

export interface Upload { bytes: number; sha256: string }

const tooLarge = (max: number) => new ApiError(413, 'payload_too_large', `the file is over ${max} bytes`, [{ field: '(body)', message: `at most ${max} bytes` }]);

/** Writes the request body to `file` (its directory made if need be); on any failure nothing is left behind. */
export async function receiveUpload(req: Request, res: Response, file: string, maxBytes: number): Promise<Upload> {
  const announced = Number(req.headers['content-length'] ?? NaN);
  if (announced > maxBytes) {
    res.setHeader('Connection', 'close');
    throw tooLarge(maxBytes);
  }
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    throw new ApiError(415, 'unsupported_encoding', `Content-Encoding ${encoding.slice(0, 50)} is not read: send the file uncompressed`, [{ field: 'Content-Encoding', message: 'only identity' }]);
  }
  const hash = createHash('sha256');
  let bytes = 0;
  let over = false;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > maxBytes) { over = true; return done(tooLarge(maxBytes)); }
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await mkdir(path.dirname(file), { recursive: true });
  try {
    await pipeline(req, counter, createWriteStream(file));
  } catch (err) {
    await rm(file, { force: true });
    if (over) {
      // The rest of the body is not read: the connection goes with the answer.
      res.setHeader('Connection', 'close');
      throw tooLarge(maxBytes);
    }
    if (req.destroyed || req.readableAborted) throw new ApiError(400, 'invalid_request', 'the upload was interrupted', [{ field: '(body)', message: 'incomplete' }]);
    throw err;
  }
  return { bytes, sha256: hash.digest('hex') };
}
