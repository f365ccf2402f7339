// One readiness probe of a dependency (Temporal, Kafka, Spark), bounded in time: what the worker's /readyz and
// gauges and the REST trigger's /readyz both ask.

/** How long one dependency check may take. */
export const DEPENDENCY_CHECK_TIMEOUT_MS = 2_000;

/** `ok`, or `unreachable: <why>` (the probe's own error, or no answer within DEPENDENCY_CHECK_TIMEOUT_MS). */
export async function checkDependency(probe: () => Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${DEPENDENCY_CHECK_TIMEOUT_MS} ms`)), DEPENDENCY_CHECK_TIMEOUT_MS).unref();
  });
  try {
    await Promise.race([probe(), timeout]);
    return 'ok';
  } catch (err) {
    return `unreachable: ${(err as Error).message}`;
  } finally {
    clearTimeout(timer);
  }
}
