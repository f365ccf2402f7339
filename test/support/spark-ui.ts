// What Spark itself says it ran, from the Spark UI's REST API: Spark Connect tags every Spark job of an
// operation with the operation id and with the root SQL execution it belongs to.
import { loadConfig } from '../../lib/config';

interface SparkJob {
  jobId: number;
  status: string;
  jobTags?: string[];
}

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(`${loadConfig().spark.uiUrl}/api/v1${path}`);
  if (!res.ok) throw new Error(`Spark UI ${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export async function sparkJobsOf(operationId: string): Promise<SparkJob[]> {
  const [app] = await getJson<{ id: string }[]>('/applications');
  if (!app) throw new Error('the Spark UI lists no application');
  const jobs = await getJson<SparkJob[]>(`/applications/${app.id}/jobs`);
  return jobs.filter((j) => j.jobTags?.some((t) => t.endsWith(`_Operation_${operationId}`)));
}

/** How many separate SQL executions Spark ran under this operation id (a resubmitted job would make two). */
export async function sparkExecutionsOf(operationId: string): Promise<number> {
  const roots = new Set<string>();
  for (const job of await sparkJobsOf(operationId)) {
    for (const tag of job.jobTags ?? []) if (/-execution-root-id-\d+$/.test(tag)) roots.add(tag);
  }
  return roots.size;
}

/** The id of the latest Spark job (−1 before any): a count of jobs that holds beyond the UI's retained ones. */
export async function latestSparkJobId(): Promise<number> {
  const [app] = await getJson<{ id: string }[]>('/applications');
  if (!app) throw new Error('the Spark UI lists no application');
  const jobs = await getJson<SparkJob[]>(`/applications/${app.id}/jobs`);
  return jobs.reduce((latest, j) => Math.max(latest, j.jobId), -1);
}
