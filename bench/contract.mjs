#!/usr/bin/env node
/**
 * What the contract costs (core/src/contract): the import fields `winnow import` builds its
 * options from at every start of the command (read from the schema; the JSON Schema, built at
 * build time, for comparison), and the server's check of a job request and of a query body.
 * Prints one JSON report (milliseconds, median of runs; the first call alone for the first).
 */
import { describedFields } from '../core/dist/contract/fields.js';
import { ImportSource, JobRequest } from '../core/dist/contract/jobs.js';
import { jobOptionsSchemas } from '../core/dist/contract/json-schema.js';
import { parseRequest } from '../core/dist/contract/parse.js';
import { QueryRequest } from '../core/dist/contract/requests.js';

function medianMs(runs, work) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    work();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return Number(times[Math.floor(runs / 2)].toFixed(4));
}

const cliFieldsFirstMs = medianMs(1, () => describedFields(ImportSource));
const firstSchemaMs = medianMs(1, jobOptionsSchemas);
const job = {
  kind: 'import',
  dataset: 'coco',
  source: { yolo: '/data/labels', classes: '/data/classes.yaml', as: 'annotations', task: 'det' },
};
console.log(
  JSON.stringify({
    cli_import_fields_first_ms: cliFieldsFirstMs,
    json_schema_first_ms: firstSchemaMs,
    json_schema_ms: medianMs(200, jobOptionsSchemas),
    parse_import_job_ms: medianMs(10_000, () => parseRequest(JobRequest, job)),
    parse_query_ms: medianMs(10_000, () => parseRequest(QueryRequest, { sql: 'SELECT 1', max_rows: 10 })),
  }),
);
