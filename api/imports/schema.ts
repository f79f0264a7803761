// CSV imports as the API takes and shows them.
import { z } from 'zod';

export const ImportKind = z.enum(['customers', 'events']);
export const ImportId = z.string().regex(/^imp[0-9a-z]{8,40}$/, 'not an import id');

export const ImportQuery = z.object({
  kind: ImportKind.meta({ description: '`customers`: a row per customer, identities and traits as columns (identify calls); `events`: a row per Segment event' }),
  skipInvalid: z.enum(['true', 'false']).default('false')
    .meta({ description: '`false`: one bad row refuses the whole import, nothing applied; `true`: bad rows are reported and skipped, the good ones imported' }),
  ratePerSecond: z.coerce.number().int().min(1).max(100_000).optional()
    .meta({ description: 'rows a second fed into ingestion (default: `IMPORT_RATE_PER_SECOND`)' }),
});

export const CsvUpload = z.string().meta({
  description: 'RFC 4180 CSV in UTF-8 (a byte-order mark is allowed), a header line first, then one row per customer or event. '
    + '`customers`: `userId`, `anonymousId`, `email`, `phone`, `wechat_openid`, `wechat_unionid` (and their aliases `mobile`, `openid`, `unionid`…), `messageId`, `timestamp`; '
    + 'every other column is a trait, and a `traits` column may hold a JSON object of typed traits. '
    + '`events`: `type` (default `track`), `userId`, `anonymousId`, `event`, `name`, `category`, `groupId`, `previousId`, `timestamp`, `messageId`; '
    + '`properties.<name>`, `traits.<name>`, `context.<path>` columns, and `properties`, `traits`, `context` columns holding a JSON object. '
    + 'Cells are text; an empty cell sets nothing.',
  examples: ['userId,email,phone,name\nu-1,ada@example.com,+8613800138000,Ada\n'],
});

export const ImportStatus = z.enum(['validating', 'rejected', 'importing', 'completed', 'cancelled', 'failed']);

export const ImportView = z.object({
  id: z.string(),
  kind: ImportKind,
  status: ImportStatus.meta({ description: '`validating` every row, then `rejected` (nothing applied) or `importing`, then `completed`; or `cancelled`, `failed`' }),
  skipInvalid: z.boolean(),
  ratePerSecond: z.number().int(),
  columns: z.array(z.string()),
  file: z.object({ bytes: z.number().int(), sha256: z.string() }),
  progress: z.object({
    read: z.number().int().meta({ description: 'rows read while validating' }),
    valid: z.number().int(),
    invalid: z.number().int(),
    applied: z.number().int().meta({ description: 'rows delivered into customers\' workflows' }),
    rejected: z.number().int().meta({ description: 'rows that will not be applied: the invalid ones skipped, or every row of a rejected import' }),
    errorsStored: z.number().int().meta({ description: 'errors kept for `GET …/errors` (at most 1,000; every invalid row is counted)' }),
  }),
  reason: z.string().optional().meta({ description: 'why it was rejected or failed' }),
  workflowId: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().optional(),
}).meta({ id: 'Import' });

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

export const ImportList = z.object({ imports: z.array(ImportView), nextCursor: z.string().optional() }).meta({ id: 'ImportList' });

export const ImportErrorPage = z.object({
  errors: z.array(z.object({
    line: z.number().int().meta({ description: 'the line of the file where the row begins (the header is line 1)' }),
    column: z.string().meta({ description: 'the column as the header names it, or `(row)` for the row as a whole' }),
    message: z.string(),
  })),
  invalid: z.number().int().meta({ description: 'invalid rows in all' }),
  stored: z.number().int(),
  nextCursor: z.string().optional(),
}).meta({ id: 'ImportErrors' });
