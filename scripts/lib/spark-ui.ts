// What Spark's own UI says it ran (its REST API, /api/v1): the measure of Spark executions that does not trust ours.
interface UiJob {
  jobId: number;
  jobTags?: string[];
}

/**
 * The root SQL executions of every job the running Spark application still lists (spark.ui.retainedJobs): one per
 * Spark execution we start, however many Spark jobs it takes. Two readings, before and after, tell what ran between.
 */
export async function sparkExecutionRoots(uiUrl: string): Promise<Set<string>> {
  const get = async <T>(p: string): Promise<T> => {
    const res = await fetch(`${uiUrl}/api/v1${p}`, { signal: AbortSignal.timeout(5_000) });
    if (!res.ok) throw new Error(`Spark UI ${uiUrl}/api/v1${p}: HTTP ${res.status}`);
    return (await res.json()) as T;
  };
  const [app] = await get<{ id: string }[]>('/applications');
  if (!app) return new Set();
  const roots = new Set<string>();
  for (const job of await get<UiJob[]>(`/applications/${app.id}/jobs`)) {
    const root = job.jobTags?.find((t) => /-execution-root-id-\d+$/.test(t));
    if (root) roots.add(root);
  }
  return roots;
}

/** Executions in `after` that were not in `before`. */
export const newExecutions = (before: Set<string>, after: Set<string>): number => [...after].filter((r) => !before.has(r)).length;
