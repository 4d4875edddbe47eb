export { formatByName, IMAGE_EXTENSIONS, VIDEO_EXTENSIONS } from './formats.js';
export { type IngestOptions, type IngestSummary, ingest } from './ingest.js';
export { type ProbeResult, probeBytes, sniffFormat } from './probe.js';
