import { z } from 'zod';
import type { FilenameForm } from '../export/export.js';
import type { EXPORT_FORMATS } from '../export/run.js';
import type { Selection } from '../query/selection.js';
import { nonNegativeInteger, textField } from './fields.js';

/** The JSON bodies of the routes that take one (core/src/server/api.ts, command-routes.ts). */

/** POST /api/query and /api/datasets/:dataset/query. */
export const QueryRequest = z.object({
  sql: textField('read-only SQL over the workspace views'),
  dataset: textField('the dataset whose views the SQL sees (POST /api/query only)').optional(),
  // Checked by timeLimit, whose message gives the range and the value given.
  timeout: z.custom<number>().describe('seconds before the query is cancelled (default 30)').optional(),
  max_rows: nonNegativeInteger.describe('rows returned at most').optional(),
});
export type QueryRequest = z.input<typeof QueryRequest>;

/** POST …/samples/by-id. */
export const SamplesByIdRequest = z.object({
  ids: z.array(nonNegativeInteger).describe('sample ids, as the views hand them over'),
});
export type SamplesByIdRequest = z.input<typeof SamplesByIdRequest>;

/** POST …/samples/:id/annotations. */
export const AnnotationRequest = z.object({
  task: textField('the task the annotation belongs to'),
  category: textField('its class'),
  box: z.array(z.number()).length(4).describe('x, y, width, height in pixels').optional(),
});
export type AnnotationRequest = z.input<typeof AnnotationRequest>;

/** PATCH …/annotations/:annotation: what changes. */
export const AnnotationChange = z.object({
  category: textField('the new class').optional(),
  box: z.array(z.number()).length(4).nullable().describe('the new box, or null to remove it').optional(),
});
export type AnnotationChange = z.input<typeof AnnotationChange>;

/** PUT …/samples/:id/caption: a missing caption is a mistake, not a removal. */
export const CaptionRequest = z.object({
  caption: z
    .string({ error: 'expected a string, or null to remove it' })
    .nullable()
    .describe('the caption (the server trims it); null or blank removes it'),
});
export type CaptionRequest = z.input<typeof CaptionRequest>;

const SECRETS_ERROR = 'expected a string';
const Secrets = z
  .object({
    accessKeyId: z.string({ error: SECRETS_ERROR }),
    secretAccessKey: z.string({ error: SECRETS_ERROR }),
    sessionToken: z.string({ error: SECRETS_ERROR }),
    sasToken: z.string({ error: SECRETS_ERROR }),
    connectionString: z.string({ error: SECRETS_ERROR }),
    accountKey: z.string({ error: SECRETS_ERROR }),
    serviceAccount: z.string({ error: SECRETS_ERROR }),
  })
  .partial()
  .strict();

/** POST …/credentials: secrets for the input and work locations, held in memory only. */
export const CredentialsRequest = z
  .object({
    input: Secrets.describe("the input location's secrets").optional(),
    work: Secrets.describe("the work location's secrets").optional(),
  })
  .strict();
export type CredentialsRequest = z.input<typeof CredentialsRequest>;

/** POST …/tags/:tag/combine. */
export const CombineRequest = z.object({
  operation: z
    .enum(['union', 'intersection', 'difference'], {
      error: 'expected one of union, intersection, difference',
    })
    .describe('how the sources combine'),
  sources: z
    .array(z.string({ error: 'expected a tag name' }), { error: 'expected a list of tag names' })
    .describe('the tags to combine'),
});
export type CombineRequest = z.input<typeof CombineRequest>;

/** POST …/tags/:tag/rename. */
export const RenameRequest = z.object({ name: textField("the tag's new name") });
export type RenameRequest = z.input<typeof RenameRequest>;

/**
 * The samples a tag request applies to: selectionSource checks its shape, a missing one included,
 * and names the wrong field (`selection.files: …`).
 */
const SelectionField = z
  .custom<Selection>()
  .describe('which samples: one of all, tag, filter, sql, files, run, ids')
  .optional()
  .transform((selection) => selection as Selection);

/** POST …/tags: a new tag of the selection's samples. */
export const TagCreateRequest = z.object({ name: textField('the new tag'), selection: SelectionField });
export type TagCreateRequest = z.input<typeof TagCreateRequest>;

/** POST …/tags/:tag/add and …/remove. */
export const TagSelectionRequest = z.object({ selection: SelectionField });
export type TagSelectionRequest = z.input<typeof TagSelectionRequest>;

// The values of an export's and a search's options are checked by runExport and searchDataset,
// whose messages name the command's flags (`--format 'x': use …`): a command then fails alike with
// or without a server. The contract checks the fields' types and names the fields they take.

/** POST …/export: the selection's samples as filenames, or written to `out`. */
export const ExportRequest = z
  .object({
    format: z.custom<(typeof EXPORT_FORMATS)[number]>().describe('filenames, csv, json, coco or yolo'),
    selection: SelectionField,
    paths: z.custom<FilenameForm>().describe('filenames: relative, absolute or url').optional(),
    columns: z.array(z.string()).describe('csv/json: columns of the samples view').optional(),
    out: z
      .string()
      .describe('csv/json/coco: the file to write; yolo: the folder (an absolute path)')
      .meta({ path: true })
      .optional(),
    task: z.string().describe('coco/yolo: the task whose labels to write').optional(),
    labels: z
      .custom<'predictions' | 'annotations'>()
      .describe('coco/yolo: predictions or annotations')
      .optional(),
    at: z.string().describe('coco/yolo: the labels as they were at a version or ISO 8601 time').optional(),
  })
  .strict();
export type ExportRequest = z.output<typeof ExportRequest>;

/** POST …/search: the samples nearest to a text, an image or a sample. */
export const SearchRequest = z.object({
  model: z.string().describe('a model the dataset has embeddings of, by name or config file').optional(),
  text: z.string().describe('a text, embedded with the model text tower').optional(),
  image: z.string().describe('an image file (not from a view)').meta({ path: true }).optional(),
  sample: z
    .union([z.number(), z.string()])
    .describe('a sample of the dataset: its id or its path')
    .optional(),
  k: z.custom<number>().describe('how many results (default 20)').optional(),
  where: z.string().describe('a read-only SQL condition over the samples view').optional(),
});
export type SearchRequest = z.input<typeof SearchRequest>;

/** GET /api/samples/lookup: the query string's field. */
export const SampleLookupQuery = z.object({
  location: textField(
    "a sample's filename: relative to its dataset, absolute, or a file:// or bucket URL",
  ).max(4096, { error: 'at most 4096 characters' }),
});
export type SampleLookupQuery = z.input<typeof SampleLookupQuery>;
