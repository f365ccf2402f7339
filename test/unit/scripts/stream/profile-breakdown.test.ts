// The profile breakdown counts a sample in every part its stack passes through, and a method's self time from the
// top frame only.
import { describe, expect, it } from 'vitest';
import { breakdown, budget, OTHER } from '../../../../scripts/stream/profile-breakdown';

const sample = (...frames: string[]) => ({
  values: {
    stackTrace: {
      frames: frames.map((f) => {
        const at = f.lastIndexOf('.');
        return { method: { type: { name: f.slice(0, at) }, name: f.slice(at + 1) } };
      }),
    },
  },
});

describe('breakdown', () => {
  it('shares of samples per part (a sample in several parts counts in each) and hottest methods by self time', () => {
    const result = breakdown([
      sample('org/x/JsonExpressionUtils.jsonObjectKeys', 'org/x/Generated.apply'),
      sample('java/util/concurrent/ConcurrentHashMap.putVal', 'org/x/HDFSBackedStateStoreProvider.getLoadedMapForStore'),
      sample('java/util/concurrent/ConcurrentHashMap.putVal', 'org/x/HDFSBackedStateStoreProvider.getLoadedMapForStore'),
      sample('org/x/Other.run'),
    ]);
    expect(result.samples).toBe(4);
    const share = (part: string) => result.parts.find((p) => p.part.startsWith(part))!.share;
    expect(share('JSON parsed for its keys')).toBe(0.25);
    expect(share("state: each batch copies the previous version's map")).toBe(0.5);
    expect(share('Kafka source read')).toBe(0);
    expect(result.selfTop[0]).toEqual({ method: 'java/util/concurrent/ConcurrentHashMap.putVal', share: 0.5 });
    expect(result.selfTop.map((m) => m.method)).toContain('org/x/Other.run');
  });
});

describe('budget', () => {
  it('counts each sample once, in the first part its stack names, so the shares add up to 1', () => {
    const shares = budget([
      // a parse inside the split is the split's
      sample('com/fasterxml/jackson/core/JsonFactory.createParser', 'org/x/GenerateExec.doExecute'),
      // a configuration read inside from_json is from_json's
      sample('org/x/ConfigReader.bind', 'org/x/SQLConf$.get', 'org/x/JacksonParser.parse'),
      sample('org/x/SQLConf$.get', 'org/x/Generated.apply'),
      sample('org/x/Other.run'),
    ]);
    const share = (part: string) => shares.find((p) => p.part.startsWith(part))!.share;
    expect(share('the split')).toBe(0.25);
    expect(share('a record parsed into its fields')).toBe(0.25);
    expect(share('configuration read per row')).toBe(0.25);
    expect(share(OTHER)).toBe(0.25);
    expect(shares.reduce((n, p) => n + p.share, 0)).toBe(1);
  });
});
