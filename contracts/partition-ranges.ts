// Offset ranges of a Kafka topic, as a run's records occupy them: the one shape every layer passes around (ingest
// returns them, Spark reads exactly them, the journal records them, a pipeline input may name them) and the one
// helper that merges them.
import { z } from 'zod';

/** Offsets of one partition: from inclusive, to exclusive (Spark's startingOffsets/endingOffsets). */
export const PartitionRangeSchema = z.strictObject({
  partition: z.int().min(0),
  from: z.int().min(0),
  to: z.int().min(0),
});
export type PartitionRange = z.infer<typeof PartitionRangeSchema>;

/** Per partition, the smallest range covering all the given ones (empty ranges ignored), sorted by partition. */
export function coveringRanges(ranges: readonly PartitionRange[]): PartitionRange[] {
  const byPartition = new Map<number, PartitionRange>();
  for (const r of ranges) {
    if (r.to <= r.from) continue;
    const seen = byPartition.get(r.partition);
    byPartition.set(
      r.partition,
      seen ? { partition: r.partition, from: Math.min(seen.from, r.from), to: Math.max(seen.to, r.to) } : { ...r },
    );
  }
  return [...byPartition.values()].sort((a, b) => a.partition - b.partition);
}

/** How many offsets the ranges span in all. */
export function rangeMessages(ranges: readonly PartitionRange[]): number {
  return ranges.reduce((n, r) => n + Math.max(0, r.to - r.from), 0);
}
