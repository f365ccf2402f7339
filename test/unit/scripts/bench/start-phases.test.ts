// Specification of reading npm start's phases from what it prints (scripts/bench/start-phases.ts).
import { describe, expect, it } from 'vitest';
import { parseStartOutput } from '../../../../scripts/bench/start-phases';

describe('parseStartOutput', () => {
  it("reads the stack's time, Spark's warm-up and the main job from npm start's lines", () => {
    const text = [
      '  temporal  started in 3.2s',
      '  kafka     started in 9.8s',
      '  spark     started in 33.1s, of which warming up 14.6s',
      'Stack ready in 34.9s.',
      'Done: 1,000 records through Kafka and Spark in 8,375 ms.',
    ].join('\n');
    expect(parseStartOutput(text, 52.1)).toEqual({ stackSeconds: 34.9, sparkWarmSeconds: 14.6, mainJobMs: 8375, untilRestSeconds: 52.1 });
  });
  it('says null for a phase it did not print (a stack already running is not warmed)', () => {
    const text = '  spark     already running\nStack ready in 0.4s.';
    expect(parseStartOutput(text, 3)).toEqual({ stackSeconds: 0.4, sparkWarmSeconds: null, mainJobMs: null, untilRestSeconds: 3 });
  });
});
