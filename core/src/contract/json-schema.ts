import { z } from 'zod';
import type { FieldMeta } from './fields.js';
import { JOB_OPTIONS } from './jobs.js';
import { VIEW_JOBS, VIEW_ROUTES, type ViewRoute } from './view-routes.js';

/** A field of a job kind's options as JSON Schema, with the contract's own hints (fields.ts). */
export interface JsonSchemaField extends FieldMeta {
  type?: string;
  enum?: string[];
  description?: string;
}

export interface JobOptionsSchema {
  type: 'object';
  properties: Record<string, JsonSchemaField>;
}

/**
 * The options of each job kind as JSON Schema: what extension-jupyter/winnow/contract.json holds
 * for the kernel package (its magics' options, the fields it sends as absolute paths) and what
 * `winnow import` builds its options from.
 */
export function jobOptionsSchemas(): { jobs: Record<keyof typeof JOB_OPTIONS, JobOptionsSchema> } {
  const jobs = Object.fromEntries(
    Object.entries(JOB_OPTIONS).map(([kind, schema]) => [kind, z.toJSONSchema(schema, { io: 'input' })]),
  ) as unknown as Record<keyof typeof JOB_OPTIONS, JobOptionsSchema>;
  return { jobs };
}

/** The requests a relay passes on from a browser view (view-routes.ts), for the kernel package's relay. */
export interface ViewsContract {
  routes: readonly ViewRoute[];
  jobs: readonly string[];
}

/** What extension-jupyter/winnow/contract.json holds: each job kind's options, and the views' requests. */
export function clientContract(): ReturnType<typeof jobOptionsSchemas> & { views: ViewsContract } {
  return { ...jobOptionsSchemas(), views: { routes: VIEW_ROUTES, jobs: VIEW_JOBS } };
}
