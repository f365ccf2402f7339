// Reads pipeline definitions from their directory: definitions/<dir>/pipeline.yml and the SQL files it names. A
// definition that cannot be read or is not valid is listed with its error and never stops the others.
import crypto from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import {
  DefinitionFileSchema,
  describeDefinitionIssues,
  resolveDefinition,
  sqlFilesOf,
  type DefinitionFile,
} from '../contracts/definition-file';
import { bindParameters, jobPlan, type Definition, type JobPlan } from '../contracts/definitions';

export const DEFINITION_FILE = 'pipeline.yml';

export interface BrokenDefinition {
  /** The directory under the definitions directory. */
  directory: string;
  /** The definition's name when its file says it. */
  name?: string;
  error: string;
}

export interface DefinitionCatalog {
  definitions: Map<string, Definition>;
  broken: BrokenDefinition[];
}

/** A SQL file a definition names: beside pipeline.yml or below it, nothing outside its directory. */
const SQL_FILE = /^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9_./-]+\.sql$/;

/** Every definition under `dir`: each subdirectory (not hidden; one without a pipeline.yml is listed as broken); a missing `dir` gives none. */
export function loadDefinitions(dir: string): DefinitionCatalog {
  const catalog: DefinitionCatalog = { definitions: new Map(), broken: [] };
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return catalog;
    throw err;
  }
  for (const directory of entries) {
    const root = path.join(dir, directory);
    let isDirectory: boolean;
    try {
      isDirectory = statSync(root).isDirectory();
    } catch (err) {
      // A dangling link, a directory removed while this reads: that entry is broken, the others are read.
      catalog.broken.push({ directory, error: `${directory}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})` });
      continue;
    }
    if (!isDirectory || directory.startsWith('.')) continue;
    const loaded = loadDefinition(root);
    if ('error' in loaded) {
      catalog.broken.push({ directory, ...loaded });
      continue;
    }
    const { definition } = loaded;
    const other = catalog.definitions.get(definition.name);
    if (other) {
      catalog.broken.push({
        directory,
        name: definition.name,
        error: `${directory}/${DEFINITION_FILE}: name "${definition.name}" is taken by another definition`,
      });
      continue;
    }
    catalog.definitions.set(definition.name, definition);
  }
  return catalog;
}

/** One definition directory: the definition, or what is wrong with it (naming the file and the place in it). */
export function loadDefinition(root: string): { definition: Definition } | { name?: string; error: string } {
  const where = `${path.basename(root)}/${DEFINITION_FILE}`;
  let text: string;
  try {
    text = readFileSync(path.join(root, DEFINITION_FILE), 'utf8');
  } catch (err) {
    return { error: `${where}: cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
  }
  const parsed = parseDefinitionFile(text, where);
  if ('error' in parsed) return parsed;
  const files: Record<string, string> = { [DEFINITION_FILE]: text };
  for (const file of sqlFilesOf(parsed.data)) {
    if (!SQL_FILE.test(file)) {
      return { name: parsed.data.name, error: `${where}: file "${file}": expected a .sql file beside ${DEFINITION_FILE} or below it` };
    }
    try {
      files[file] = readFileSync(path.join(root, file), 'utf8');
    } catch (err) {
      return {
        name: parsed.data.name,
        error: `${where}: file "${file}" cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      };
    }
  }
  return { definition: resolveDefinition(parsed.data, files, versionOf(files)) };
}

/** Parsed definition files by their text: a run reads its definition's files when it starts, and parses them once. */
const parsedFiles = new Map<string, ReturnType<typeof parseText>>();
const PARSED_FILES_KEPT = 64;

function parseDefinitionFile(text: string, where: string): { data: DefinitionFile; success: true } | { name?: string; error: string } {
  const key = `${where}\0${text}`;
  let parsed = parsedFiles.get(key);
  if (!parsed) {
    parsed = parseText(text, where);
    if (parsedFiles.size >= PARSED_FILES_KEPT) parsedFiles.delete(parsedFiles.keys().next().value!);
    parsedFiles.set(key, parsed);
  }
  return parsed;
}

function parseText(text: string, where: string): { data: DefinitionFile; success: true } | { name?: string; error: string } {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    return { error: `${where}: not valid YAML: ${err instanceof YAMLParseError ? err.message : String(err)}` };
  }
  const parsed = DefinitionFileSchema.safeParse(raw);
  const declaredName = typeof (raw as { name?: unknown })?.name === 'string' ? (raw as { name: string }).name : undefined;
  if (!parsed.success) {
    return { ...(declaredName ? { name: declaredName } : {}), error: `${where}: ${describeDefinitionIssues(parsed.error).join('; ')}` };
  }
  return { data: parsed.data, success: true };
}

/** The first 12 hex digits of the sha256 of the files (names and texts, in name order). */
export function versionOf(files: Record<string, string>): string {
  const hash = crypto.createHash('sha256');
  for (const name of Object.keys(files).sort()) hash.update(`${name}\0${files[name]}\0`);
  return hash.digest('hex').slice(0, 12);
}

/**
 * The definitions directory as a long-running process sees it: read again when asked and older than `maxAgeMs`,
 * so a new or edited definition is picked up without a restart, and a burst of requests reads the files once.
 */
export class DefinitionsDirectory {
  private cached: { at: number; catalog: DefinitionCatalog } | undefined;

  constructor(
    readonly dir: string,
    private readonly maxAgeMs = 2_000,
    private readonly now: () => number = Date.now,
  ) {}

  current(): DefinitionCatalog {
    const at = this.now();
    if (!this.cached || at - this.cached.at > this.maxAgeMs) this.cached = { at, catalog: loadDefinitions(this.dir) };
    return this.cached.catalog;
  }

  /** The named definition, or a PipelineInputError-style message of why there is none. */
  get(name: string): { definition: Definition } | { error: string } {
    const catalog = this.current();
    const definition = catalog.definitions.get(name);
    if (definition) return { definition };
    const broken = catalog.broken.find((b) => b.name === name || b.directory === name);
    return {
      error: broken
        ? `definition "${name}" is broken: ${broken.error}`
        : `no definition "${name}" (there are: ${[...catalog.definitions.keys()].join(', ') || 'none'})`,
    };
  }
}

/** One job's plan from the definitions directory, for tools that run jobs without a workflow (benchmarks, warm-up). */
export function loadJobPlan(dir: string, pipeline: string, job: string, params: Record<string, unknown> = {}): JobPlan {
  const found = new DefinitionsDirectory(dir).get(pipeline);
  if ('error' in found) throw new Error(found.error);
  return jobPlan(found.definition, job, bindParameters(found.definition, params, new Date().toISOString().slice(0, 10)));
}
