// What a client may name, decided in one place: files, topics, streams and runs. Every REST route and every workflow
// input goes through it: the REST trigger at the edge (with the caller's token grant), and, for a run started from
// the Temporal CLI, the first activity that touches the resource (rules only: Temporal's own access control decides
// who may start workflows). Both refuse the same things with the same message. Pure: rules and grants are data.
import { streamTopic } from './stream-names';

/** The rules every caller is held to, whatever its token: from the configuration (lib/config.ts `resources`). */
export interface ResourceRules {
  /**
   * streamforge's own topics as configured (records, results, the executions journal): they hold every client's data.
   * Every topic under RESERVED_TOPIC_PREFIX is streamforge's too, and Kafka's own (`__…`).
   */
  internalTopics: string[];
  /** Topics clients may read or write at all: names, or prefixes ending in `*` (`*`: any but streamforge's own). */
  clientTopics: string[];
}

/** What one client (one token) may reach; names or prefixes ending in `*`. */
export interface Grant {
  /** The token's name: on every log line and metric of its requests, and the owner of the runs it starts. */
  name: string;
  /** Sees and stops every run and stream, whoever started it. */
  admin: boolean;
  /** Topics it may read (a pipeline's `topic`, a stream's source) and write (a stream's records). */
  topics: string[];
  /** Streams it may start, read, feed and stop. */
  streams: string[];
  /** Files under the worker's data directory it may read (a pipeline's `file`). */
  files: string[];
}

/** The grant of a caller when no tokens are configured (the local default), and of API_TOKEN: everything. */
export const fullGrant = (name: string): Grant => ({ name, admin: true, topics: ['*'], streams: ['*'], files: ['*'] });

/**
 * Every topic whose name starts so is streamforge's: the stack check's, each stream's own topic and results topic,
 * and any topic a later feature adds. A stream may read its own topic, nothing else under it.
 */
export const RESERVED_TOPIC_PREFIX = 'streamforge.';

/** Kafka's rule for topic names; also what keeps control characters, lookalike letters and SQL out. */
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;
/** A file under the data directory: ASCII path segments joined by `/`, no `.` or `..` segment, not absolute. */
const FILE_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const FILE_MAX_CHARS = 255;

/**
 * A refusal: 400 when no client may name it (a malformed name, one of streamforge's own topics), 403 when this
 * client's token lacks the scope. The message starts with the input it concerns and the field.
 */
export class ResourceRefusal extends Error {
  override readonly name = 'ResourceRefusal';
  constructor(
    /** `invalid pipeline input`, `invalid stream input`, … */
    readonly context: string,
    readonly field: string,
    readonly status: 400 | 403,
    detail: string,
  ) {
    super(`${context}: ${field}: ${detail}`);
  }
}

/** Whether `name` matches one of `patterns` (names, or prefixes ending in `*`). */
export function matchesAny(patterns: readonly string[], name: string): boolean {
  return patterns.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));
}

/** A short, printable echo of a value a client sent (it may hold control characters or be very long), quoted. */
export function echo(value: string): string {
  const shown = JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  return value.length > 60 ? `${shown} (${value.length} characters)` : shown;
}

const PIPELINE = 'invalid pipeline input';
const STREAM = 'invalid stream input';

export class ResourcePolicy {
  constructor(private readonly rules: ResourceRules) {}

  /**
   * A pipeline's `file` or `topic` source. `grant` is the REST caller's; without one (a run started from the CLI)
   * only the rules apply.
   */
  pipelineSource(source: { file?: string; topic?: string }, grant?: Grant): void {
    if (source.file !== undefined) this.file(PIPELINE, 'file', source.file, grant);
    if (source.topic !== undefined) this.topic(PIPELINE, 'topic.name', source.topic, grant);
  }

  /** A stream's name and source topic: its own topic (`streamforge.stream.<name>`), or a topic the caller may read. */
  stream(spec: { name: string; topic: string }, grant?: Grant): void {
    this.streamName(STREAM, 'name', spec.name, grant);
    if (spec.topic !== streamTopic(spec.name)) this.topic(STREAM, 'topic', spec.topic, grant);
  }

  /** A stream named in a URL (`:name`): the caller's token must have it among its streams (or be an admin's). */
  streamName(context: string, field: string, name: string, grant?: Grant): void {
    if (grant?.admin) return;
    requireScope(context, field, grant, 'streams', name);
  }

  maySeeStream(name: string, grant: Grant): boolean {
    return grant.admin || matchesAny(grant.streams, name);
  }

  /** Whether the caller may see a run that `owner` started (undefined: started outside the REST trigger, or for several clients). */
  maySeeRun(owner: string | undefined, grant: Grant): boolean {
    return grant.admin || (owner !== undefined && owner === grant.name);
  }

  /** A topic a client reads or writes: never streamforge's own, and only what the rules and its token allow. */
  topic(context: string, field: string, topic: string, grant?: Grant): void {
    if (!TOPIC_NAME.test(topic)) {
      throw new ResourceRefusal(context, field, 400, `${echo(topic)} is not a Kafka topic name (1-249 of A-Z a-z 0-9 . _ -)`);
    }
    if (this.rules.internalTopics.includes(topic) || topic.startsWith(RESERVED_TOPIC_PREFIX) || topic.startsWith('__')) {
      throw new ResourceRefusal(
        context,
        field,
        400,
        `topic "${topic}" is one of streamforge's own topics (they hold every client's data) and is never a client's source or destination; send records, a file, or a topic of your own`,
      );
    }
    if (!matchesAny(this.rules.clientTopics, topic)) {
      throw new ResourceRefusal(
        context,
        field,
        400,
        `topic "${topic}" is not among the topics clients may use (CLIENT_TOPICS=${this.rules.clientTopics.join(',')})`,
      );
    }
    requireScope(context, field, grant, 'topics', topic);
  }

  /** A file under the data directory, named relative to it. The worker still resolves it against DATA_DIR. */
  file(context: string, field: string, file: string, grant?: Grant): void {
    const problem = relativePathProblem(file, 'the data directory');
    if (problem) throw new ResourceRefusal(context, field, 400, `${echo(file)}: ${problem}`);
    requireScope(context, field, grant, 'files', file);
  }

  /** Where a definition's sink writes: a path relative to the warehouse (WAREHOUSE_DIR), by the same rule as files. */
  warehousePath(context: string, field: string, path: string): void {
    const problem = relativePathProblem(path, 'the warehouse');
    if (problem) throw new ResourceRefusal(context, field, 400, `${echo(path)}: ${problem}`);
  }
}

/** What is wrong with `path` as a path relative to `under` (a directory), or undefined. */
export function relativePathProblem(path: string, under: string): string | undefined {
  return path.length === 0 || path.length > FILE_MAX_CHARS
    ? `expected 1-${FILE_MAX_CHARS} characters`
    : path.startsWith('/')
      ? `an absolute path: name a path relative to ${under}`
      : !path.split('/').every((segment) => FILE_SEGMENT.test(segment))
        ? `expected a path relative to ${under}: segments of A-Z a-z 0-9 . _ - joined by "/", each starting with a letter, a digit or _ (no "..")`
        : undefined;
}

/** 403 unless the token's `scope` patterns take `value` (no token: the rules alone, nothing to check here). */
function requireScope(
  context: string,
  field: string,
  grant: Grant | undefined,
  scope: 'topics' | 'streams' | 'files',
  value: string,
): void {
  if (grant && !matchesAny(grant[scope], value)) {
    throw new ResourceRefusal(
      context,
      field,
      403,
      `token "${grant.name}" lacks the scope ${scope}:${value} (its ${scope}: ${list(grant[scope])})`,
    );
  }
}

const list = (patterns: readonly string[]) => (patterns.length ? patterns.join(', ') : 'none');
