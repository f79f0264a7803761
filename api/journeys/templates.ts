// What journey validation asks of the templates collection: does the template exist for the
// channel, and does it parse. One lookup per template per publish.
import type { TemplateDoc, TemplateRepository } from '../../store/templates.js';
import { checkTemplate } from '../../activities/channels/templates.js';
import type { TemplateChecks } from './validate.js';

export function templateChecks(templates: Pick<TemplateRepository, 'find'>): TemplateChecks {
  const found = new Map<string, Promise<TemplateDoc | null>>();
  const find = (id: string): Promise<TemplateDoc | null> => {
    if (!found.has(id)) found.set(id, templates.find(id));
    return found.get(id)!;
  };
  return {
    templateExists: async (id, channel) => (await find(id))?.channel === channel,
    templateErrors: async (id) => {
      const doc = await find(id);
      return doc ? checkTemplate(doc) : [];
    },
  };
}
