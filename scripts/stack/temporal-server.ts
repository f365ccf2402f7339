// What the stack's two Temporal servers share: the dev server (single topology, services.ts) takes the dynamic
// configuration below on its command line, the real server's services (cluster topology, temporal-cluster.ts) from
// their dynamic-config file; and each is ready when gRPC health says SERVING.
import { Connection } from '@temporalio/client';

/** Dynamic configuration the stack sets on either server. */
export const STACK_DYNAMIC_CONFIG: Record<string, boolean> = {
  // An activity scheduled by a workflow task goes straight back to the worker that completed the task, without a
  // trip through the task queue (the dev server leaves this off).
  'system.enableActivityEagerExecution': true,
  // The dev server reloads the search attributes on every read that needs them (for tests that register one and
  // use it at once); ours are registered before any worker starts. Off: 7-18 % less Temporal CPU a run
  // (docs/cost-model.md). Search attributes are then read from the namespace cache (refreshed every 2 s).
  'system.forceSearchAttributesCacheRefreshOnRead': false,
};

/** `STACK_DYNAMIC_CONFIG` as the dev server's `--dynamic-config-value key=value` arguments. */
export function dynamicConfigArgs(): string[] {
  return Object.entries(STACK_DYNAMIC_CONFIG).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${value}`]);
}

/** Whether the Temporal service at `address` answers SERVING for `service` ('': the server as a whole). */
export async function healthServing(address: string, service = ''): Promise<boolean> {
  const connection = Connection.lazy({ address });
  try {
    const res = await connection.withDeadline(Date.now() + 2000, () => connection.healthService.check({ service }));
    return res.status === 1; // SERVING
  } finally {
    await connection.close();
  }
}
