// Every limit a client can meet, in one place: how many records a run, a file and a /process request may carry,
// how many bytes travel inline in a workflow input, how large a request body may be and how many the REST trigger
// reads at once. Each is the answer of a 400, 413 or 503 somewhere; the README's configuration section lists them.

/** Temporal refuses a payload over its blob size limit: 2 MiB by default (`limit.blobSize.error`). */
export const TEMPORAL_BLOB_LIMIT_BYTES = 2 * 1024 * 1024;

/**
 * Bytes of records (as JSON) one pipeline run takes inline in its workflow input: under TEMPORAL_BLOB_LIMIT_BYTES,
 * with room for the rest of the input. Larger inputs go as a file.
 */
export const RUN_INPUT_MAX_RECORD_BYTES = 1536 * 1024;

/** Records one pipeline input may carry inline (`records`, or all `groups` together). */
export const MAX_RUN_RECORDS = 100_000;

/**
 * Runs of up to this many inline records are small: their records go to one partition of the records topic, and
 * the workflow takes all its steps in one workflow task, as local activities (workflows/pipeline.ts). Ingesting
 * 10,000 records takes ~0.1-0.3 s (docs/cost-model.md), well inside a workflow task's 10 s.
 */
export const SMALL_RUN_MAX_RECORDS = 10_000;

/** Records a `file` input may hold. */
export const FILE_MAX_RECORDS = 2_000_000;

/** Records one POST /process request may carry; bigger batches go through POST /pipelines with a file. */
export const MAX_PROCESS_RECORDS = 10_000;

/** Bytes a REST request body may have (413 above): 4 MiB, ~10,000 full records as JSON. */
export const REQUEST_BODY_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Bytes of request bodies the REST trigger reads at once (by Content-Length; a body without one counts as the
 * body limit): beyond it a request gets 503 before its body is read, so a flood cannot grow the process without bound.
 */
export const BODIES_IN_FLIGHT_MAX_BYTES = 64 * 1024 * 1024;

/** How long starting a workflow may take before the REST answer is 503: Temporal is down or overloaded. */
export const TEMPORAL_START_DEADLINE_MS = 3_000;
