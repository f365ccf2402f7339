// After a scenario, what Spark and Kafka hold of its runs: how many Spark executions computed each run's jobs (per
// Spark application: a killed server loses what ran on it, and its successor may run it again), and whether each
// run's offset ranges hold its records exactly once.
import type { Client } from '@temporalio/client';
import type { JobName } from '../../contracts/jobs';
import type { PipelineResult } from '../../contracts/pipeline';
import { sparkOperationId } from '../../lib/idempotency';
import type { KafkaClient } from '../../lib/kafka';
import { JOB_GENERATIONS } from '../../spark/runtime/coalescing-scheduler';
import type { SharedExecution } from '../../spark/runtime/execution-journal';
import { recordsOf } from '../../test/support/record-messages';
import { executionRoot } from '../lib/spark-ui';
import type { ChaosCluster } from './cluster';
import type { ExecutionCounts, KafkaCounts } from './report';

/** The results of the runs that answered (closed runs only), by workflow id. */
export async function runResults(temporal: Client, workflowIds: Iterable<string>): Promise<Map<string, PipelineResult>> {
  const results = new Map<string, PipelineResult>();
  const ids = [...new Set(workflowIds)];
  for (let i = 0; i < ids.length; i += 20) {
    await Promise.all(
      ids.slice(i, i + 20).map(async (id) => {
        const result = await temporal.workflow
          .getHandle(id)
          .result()
          .catch(() => undefined);
        if (result) results.set(id, result as PipelineResult);
      }),
    );
  }
  return results;
}

/** Root SQL executions per operation id, per Spark application, from every job the collector saw. */
function executionsByOperation(cluster: ChaosCluster): Map<string, Map<string, Set<string>>> {
  const byOperation = new Map<string, Map<string, Set<string>>>();
  for (const [app, jobs] of cluster.sparkJobs) {
    for (const job of jobs.values()) {
      const tags = job.jobTags ?? [];
      const root = executionRoot(job);
      for (const tag of tags) {
        const op = /_Operation_([0-9a-f-]{36})$/.exec(tag)?.[1];
        if (!op || !root) continue;
        const apps = byOperation.get(op) ?? new Map<string, Set<string>>();
        byOperation.set(op, apps);
        const roots = apps.get(app) ?? new Set<string>();
        apps.set(app, roots);
        roots.add(root);
      }
    }
  }
  return byOperation;
}

/** Every shared execution the journal lists since the given offsets, by member (a run's job's first operation id). */
export async function sharedExecutionsByMember(
  kafka: KafkaClient,
  journalTopic: string,
  since: Map<number, number>,
): Promise<Map<string, string[]>> {
  const ends = await kafka.endOffsets(journalTopic);
  const messages = await kafka.readRanges(
    journalTopic,
    [...ends].map(([partition, to]) => ({ partition, from: since.get(partition) ?? 0, to })),
    { timeoutMs: 60_000 },
  );
  const byMember = new Map<string, string[]>();
  for (const m of messages) {
    const execution = JSON.parse(m.value) as SharedExecution;
    for (const member of execution.members)
      byMember.set(member.operationId, [...(byMember.get(member.operationId) ?? []), execution.operationId]);
  }
  return byMember;
}

/**
 * Per run and job: the executions under the run's own operation ids (every generation), under every shared
 * execution the journal lists it in, and under the one it was answered from. `killedApps`: Spark applications
 * whose server this scenario killed.
 */
export function countExecutions(
  cluster: ChaosCluster,
  results: Iterable<PipelineResult>,
  killedApps: Set<string>,
  shared: Map<string, string[]>,
): ExecutionCounts {
  const byOperation = executionsByOperation(cluster);
  const counts: ExecutionCounts = { runs: 0, exactlyOne: 0, lostWithServer: 0, duplicated: 0, duplicatedRuns: [], notSeen: 0 };
  for (const result of results) {
    counts.runs++;
    let worst: 'one' | 'lost' | 'twice' | 'unseen' = 'one';
    for (const [job, handle] of Object.entries(result.spark) as [JobName, { operationId: string }][]) {
      const own = Array.from({ length: JOB_GENERATIONS }, (_, g) => sparkOperationId(result.runKey, job, g));
      const ids = new Set([handle.operationId, ...own, ...(shared.get(own[0]!) ?? [])]);
      const perApp = new Map<string, number>();
      for (const id of ids) for (const [app, roots] of byOperation.get(id) ?? []) perApp.set(app, (perApp.get(app) ?? 0) + roots.size);
      const total = [...perApp.values()].reduce((a, b) => a + b, 0);
      const inOneApp = Math.max(0, ...perApp.values());
      const lostOnly = [...perApp.keys()].filter((app) => !killedApps.has(app)).length <= 1;
      const verdict = inOneApp > 1 ? 'twice' : total === 0 ? 'unseen' : total === 1 ? 'one' : lostOnly ? 'lost' : 'twice';
      if (verdict === 'twice')
        counts.duplicatedRuns.push({ runKey: result.runKey, job, operations: [...ids].filter((id) => byOperation.has(id)) });
      const rank = { one: 0, unseen: 1, lost: 2, twice: 3 };
      if (rank[verdict] > rank[worst]) worst = verdict;
    }
    if (worst === 'one') counts.exactlyOne++;
    else if (worst === 'lost') counts.lostWithServer++;
    else if (worst === 'twice') counts.duplicated++;
    else counts.notSeen++;
  }
  return counts;
}

/**
 * Reads each run's ranges back (its key only): its messages (by `seq`) hold all its records, and which runs have a
 * message more than once.
 */
export async function countRecords(kafka: KafkaClient, results: PipelineResult[]): Promise<KafkaCounts> {
  const counts: KafkaCounts = { runs: 0, withDuplicates: 0, missing: 0 };
  for (let i = 0; i < results.length; i += 10) {
    await Promise.all(
      results.slice(i, i + 10).map(async (result) => {
        if (result.source.kind !== 'kafka' || result.source.recordKey === undefined || result.recordCount === undefined) return;
        const messages = await kafka.readRanges(result.source.topic, result.source.ranges, {
          key: result.source.recordKey,
          timeoutMs: 60_000,
        });
        const bySeq = new Map(messages.map((m) => [m.headers.seq, recordsOf(m).length]));
        const records = [...bySeq.values()].reduce((sum, n) => sum + n, 0);
        counts.runs++;
        if (records < result.recordCount) counts.missing++;
        if (messages.length > bySeq.size) counts.withDuplicates++;
      }),
    );
  }
  return counts;
}
