import { z } from 'zod';
import type { PromptDetail, PromptDiff, PromptSummary, PromptVersion, PushResult } from '../../domain/prompts/types.js';
import { described } from './replies.js';

const Message = z.object({ role: z.string(), content: z.string() });
export const TemplateOut = z.union([z.string(), z.array(Message)]);
const Label = z.object({ label: z.string(), version: z.number() });

export const PromptVersionOut = described<PromptVersion>()(z.object({
  name: z.string(), version: z.number(), type: z.enum(['text', 'chat']), template: TemplateOut, variables: z.array(z.string()),
  commitMessage: z.string().optional(), responseFormat: z.unknown().optional(), modelConfig: z.unknown().optional(),
  tags: z.record(z.string(), z.string()), labels: z.array(z.string()), createdAt: z.number(), createdBy: z.string().optional(),
  file: z.string().optional(), commit: z.string().optional(),
}).meta({ id: 'PromptVersion' }));

const summaryShape = {
  name: z.string(), description: z.string().optional(), tags: z.record(z.string(), z.string()), labels: z.array(Label),
  latestVersion: z.number().optional(), createdAt: z.number(), updatedAt: z.number(),
};
export const PromptSummaryOut = described<PromptSummary>()(z.object(summaryShape).meta({ id: 'PromptSummary' }));
export const PromptListOut = z.object({ items: z.array(PromptSummaryOut), nextPageToken: z.string().optional() });
export const PromptDetailOut = described<PromptDetail>()(z.object({ ...summaryShape, versions: z.array(PromptVersionOut) }).meta({ id: 'Prompt' }));

export const PushResultOut = described<PushResult>()(z.object({
  name: z.string(), version: z.number(), action: z.enum(['created', 'updated', 'unchanged']), variables: z.array(z.string()),
}));

const DiffLineOut = z.object({ op: z.enum([' ', '-', '+']), text: z.string(), oldLine: z.number().optional(), newLine: z.number().optional() });
export const PromptDiffOut = described<PromptDiff>()(z.object({
  name: z.string(), from: z.number(), to: z.number(), lines: z.array(DiffLineOut),
  hunks: z.array(z.object({ oldStart: z.number(), oldLines: z.number(), newStart: z.number(), newLines: z.number(), lines: z.array(DiffLineOut) })),
  unified: z.string(), variables: z.object({ added: z.array(z.string()), removed: z.array(z.string()) }), changed: z.array(z.string()),
}));

export const RenderOut = z.object({ version: z.number(), template: TemplateOut });
