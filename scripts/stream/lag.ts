// End-to-end lag of a stream as its feeder sees it: from records acknowledged by Kafka to the moment the
// aggregates read from the results topic count them. Pure, so a test pins it down.

/**
 * For each feed sample (`sent` records acknowledged by Kafka at `t`), how long until the aggregates first counted
 * that many at or after `t`: the end-to-end lag of the sample's last record. Both lists in time order; samples
 * never counted are left out.
 */
export function endToEndLags(sentAt: { t: number; sent: number }[], countedAt: { t: number; counted: number }[]): number[] {
  const lags: number[] = [];
  let j = 0;
  for (const sample of sentAt) {
    while (j < countedAt.length && (countedAt[j]!.counted < sample.sent || countedAt[j]!.t < sample.t)) j++;
    if (j === countedAt.length) break;
    lags.push(countedAt[j]!.t - sample.t);
  }
  return lags;
}
