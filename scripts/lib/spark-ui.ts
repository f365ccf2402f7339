// What Spark's own UI says it ran (its REST API, /api/v1): the measure of Spark executions that does not trust ours.
// The chaos run checks each run's executions with it, `npm run cost` counts each row's.

export interface SparkUiJob {
  jobId: number;
  status: string;
  jobTags?: string[];
}

/** The running Spark application's id and every job it still lists (spark.ui.retainedJobs); undefined: none runs. */
export async function sparkUiJobs(uiUrl: string): Promise<{ app: string; jobs: SparkUiJob[] } | undefined> {
  const get = async <T>(p: string): Promise<T> => {
    const res = await fetch(`${uiUrl}/api/v1${p}`, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`Spark UI ${uiUrl}/api/v1${p}: HTTP ${res.status}`);
    return (await res.json()) as T;
  };
  const [app] = await get<{ id: string }[]>('/applications');
  if (!app) return undefined;
  return { app: app.id, jobs: await get<SparkUiJob[]>(`/applications/${app.id}/jobs`) };
}

/** A job's root SQL execution: one per Spark execution we start, however many Spark jobs it takes. */
export const executionRoot = (job: SparkUiJob): string | undefined => job.jobTags?.find((t) => /-execution-root-id-\d+$/.test(t));

/** The root executions of every job the running application still lists: two readings tell what ran between. */
export async function sparkExecutionRoots(uiUrl: string): Promise<Set<string>> {
  const listed = await sparkUiJobs(uiUrl);
  return new Set((listed?.jobs ?? []).flatMap((job) => executionRoot(job) ?? []));
}

/** Executions in `after` that were not in `before`. */
export const newExecutions = (before: Set<string>, after: Set<string>): number => [...after].filter((r) => !before.has(r)).length;
