// Message templates: the `templates` collection and every read and write of it.
import { Schema, type Connection, type Model } from 'mongoose';
import type { Collection } from 'mongodb';
import { collectionOf } from './collection.js';

export interface TemplateContent {
  /** E-mail only. */
  subject?: string;
  body: string;
}

/** Who a variant is for; every list given must match (one of its values), an empty `when` matches everyone. */
export interface VariantCondition {
  /** The customer has at least one of these tags. */
  tags?: string[];
  stages?: string[];
  tiers?: string[];
}

export interface TemplateVariant extends TemplateContent {
  when: VariantCondition;
}

export interface TemplateDoc extends TemplateContent {
  _id: string;
  channel: string;
  /** Body is HTML: output is escaped, links and the open pixel are tracked. */
  html?: boolean;
  /** Per-locale content, e.g. `zh-CN`; a language (`zh`) also serves its regions. */
  locales: Record<string, TemplateContent>;
  /** Per-segment content: the first variant whose condition matches the customer wins. */
  variants: TemplateVariant[];
  createdAt: Date;
  updatedAt: Date;
}

const templateSchema = new Schema<TemplateDoc>({
  _id: String,
  channel: { type: String, required: true },
  subject: String,
  body: String,
  html: Boolean,
  locales: { type: Schema.Types.Mixed, default: {} },
  variants: { type: Schema.Types.Mixed, default: [] },
  createdAt: Date,
  updatedAt: Date,
}, { versionKey: false, minimize: false });

export interface TemplateModels {
  Template: Model<TemplateDoc>;
  templates: Collection<TemplateDoc>;
}

export function createTemplateModels(connection: Connection): TemplateModels {
  const Template = connection.model<TemplateDoc>('Template', templateSchema, 'templates');
  return { Template, templates: collectionOf(Template) };
}

export type TemplateInput = Omit<TemplateDoc, 'createdAt' | 'updatedAt'>;

export function templateRepository({ templates }: TemplateModels) {
  return {
    async list(): Promise<TemplateDoc[]> {
      return templates.find({}).sort({ _id: 1 }).toArray();
    },

    async find(id: string): Promise<TemplateDoc | null> {
      return templates.findOne({ _id: id });
    },

    /** false when a template with this id already exists. */
    async create(template: TemplateInput): Promise<boolean> {
      const now = new Date();
      try {
        await templates.insertOne({ ...template, createdAt: now, updatedAt: now });
        return true;
      } catch (err) {
        // The unique _id (checked inline: connection.ts imports this module).
        if ((err as { code?: number }).code === 11000) return false;
        throw err;
      }
    },

    /** false when there is no such template. */
    async replace(template: TemplateInput): Promise<boolean> {
      const existing = await templates.findOne({ _id: template._id }, { projection: { createdAt: 1 } });
      if (!existing) return false;
      const res = await templates.replaceOne({ _id: template._id }, { ...template, createdAt: existing.createdAt, updatedAt: new Date() });
      return res.matchedCount === 1;
    },

    async remove(id: string): Promise<boolean> {
      return (await templates.deleteOne({ _id: id })).deletedCount === 1;
    },
  };
}

export type TemplateRepository = ReturnType<typeof templateRepository>;
