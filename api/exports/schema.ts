// Exports as the API takes them: a segment's chosen traits, a date range, an attribution model.
import { z } from 'zod';
import { attributionModels } from '../../workflows/attribution/types.js';
import { propertyFieldProblem } from '../../workflows/segments/conditions.js';
import { afterFrom, inOrder, Instant } from '../reports/schema.js';

const maxTraits = 50;

export const MemberExportQuery = z.object({
  // 1,000 characters: percent-encoded (up to 9 bytes each) the URL stays within Node's 16 KB of request head.
  traits: z.string().max(1000).optional()
    .transform((s, ctx) => {
      const names = [...new Set((s ?? '').split(',').map((t) => t.trim()).filter(Boolean))];
      if (names.length > maxTraits) ctx.addIssue({ code: 'custom', message: `at most ${maxTraits} traits` });
      for (const name of names) {
        const problem = propertyFieldProblem(name);
        if (problem) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(name.slice(0, 100))}: ${problem.replace('property', 'trait')}` });
      }
      return names;
    })
    .meta({ description: 'trait names, comma-separated: one column each (`traits.<name>`)', examples: ['city,会员等级'] }),
});

const range = { from: Instant.meta({ description: 'the first instant exported' }), to: Instant.meta({ description: 'the end of the range, not exported' }) };
export const MessageExportQuery = z.object(range).refine(inOrder, afterFrom);
export const ConversionExportQuery = z.object({
  ...range,
  model: z.enum(attributionModels).optional().meta({ description: 'only this attribution model\'s credits (default: every model\'s)' }),
}).refine(inOrder, afterFrom);

export const Csv = z.string().meta({ description: 'RFC 4180 CSV in UTF-8, a header line first' });
