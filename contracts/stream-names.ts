// The names a stream's name gives: its workflow id, its topics, its Spark query. Apart from contracts/streams.ts so
// that the resource policy (which contracts/definitions.ts reads) can name a stream's topic without importing it.

/** Lower-case letters, digits and dashes: it becomes a workflow id, topic names and a checkpoint directory. */
export const STREAM_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const streamWorkflowId = (name: string) => `stream-${name}`;
export const streamTopic = (name: string) => `streamforge.stream.${name}`;
export const streamResultsTopic = (name: string) => `streamforge.stream.${name}.results`;
/** The Spark query's name: unique among the active queries of the Spark session. */
export const streamQueryName = (name: string) => `streamforge_stream_${name.replace(/-/g, '_')}`;
