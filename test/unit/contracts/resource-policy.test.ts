// The resource policy as a specification: what no client may name (400), what a token's scopes leave out (403), and
// that every refusal names the input and the field.
import { describe, expect, it } from 'vitest';
import { fullGrant, ResourcePolicy, ResourceRefusal, type Grant } from '../../../contracts/resource-policy';

const policy = new ResourcePolicy({ internalTopics: ['team.records', 'results', 'executions'], clientTopics: ['emp_data', 'team.*'] });
const alice: Grant = { name: 'alice', admin: false, topics: ['team.alice*'], streams: ['alice-*'], files: ['alice/*'] };

/** The refusal `check` throws (fails the test if it throws none, or something else). */
function refusal(check: () => void): ResourceRefusal {
  try {
    check();
  } catch (err) {
    if (err instanceof ResourceRefusal) return err;
    throw err;
  }
  throw new Error('expected a refusal, got none');
}

describe('ResourcePolicy', () => {
  describe('topics', () => {
    it("never streamforge's own: the configured ones, everything under streamforge., Kafka's __ topics; 400 whatever the token", () => {
      for (const topic of [
        'team.records',
        'results',
        'executions',
        'streamforge.records',
        'streamforge.stack-check',
        'streamforge.stream.x.results',
        '__consumer_offsets',
      ]) {
        const r = refusal(() => policy.pipelineSource({ topic }, fullGrant('root')));
        expect(r.status).toBe(400);
        expect(r.message).toBe(
          `invalid pipeline input: topic.name: topic "${topic}" is one of streamforge's own topics (they hold every client's data) and is never a client's source or destination; send records, a file, or a topic of your own`,
        );
      }
    });

    it('not a Kafka topic name: control characters, lookalike letters, SQL, over-long names (400, the value echoed printable)', () => {
      for (const topic of ['emp\u0000data', 'emp\ndata', 'emp_dаta', "emp'; DROP TABLE x;--", 'x'.repeat(250), '']) {
        const r = refusal(() => policy.pipelineSource({ topic }));
        expect(r.status).toBe(400);
        expect(r.message).toMatch(/^invalid pipeline input: topic\.name: ".*" (\(\d+ characters\) )?is not a Kafka topic name/);
        expect(r.message).not.toMatch(/\p{Cc}/u);
      }
    });

    it('only the client topics the configuration lists (400 naming CLIENT_TOPICS), then only the token’s (403 naming the scope)', () => {
      expect(refusal(() => policy.pipelineSource({ topic: 'emp_data2' })).message).toMatch(
        /not among the topics clients may use \(CLIENT_TOPICS=emp_data,team\.\*\)/,
      );
      expect(() => policy.pipelineSource({ topic: 'team.bob' })).not.toThrow(); // no token: the rules only (a CLI run)
      const r = refusal(() => policy.pipelineSource({ topic: 'team.bob' }, alice));
      expect([r.status, r.message]).toEqual([
        403,
        'invalid pipeline input: topic.name: token "alice" lacks the scope topics:team.bob (its topics: team.alice*)',
      ]);
      expect(() => policy.pipelineSource({ topic: 'team.alice.hr' }, alice)).not.toThrow();
    });
  });

  describe('files', () => {
    it('refuses .., absolute paths, NUL and control characters, hidden and over-long names (400)', () => {
      for (const file of [
        '../package.json',
        './../README.md',
        'a/../../etc/passwd',
        '/etc/passwd',
        'emp\u0000.json',
        'emp\t.json',
        '.env',
        'a//b',
        'x'.repeat(256),
        '',
      ]) {
        const r = refusal(() => policy.pipelineSource({ file }));
        expect([r.status, r.field]).toEqual([400, 'file']);
        expect(r.message).toMatch(/^invalid pipeline input: file: /);
        expect(r.message).not.toMatch(/\p{Cc}/u);
      }
      expect(refusal(() => policy.pipelineSource({ file: '/etc/passwd' })).message).toBe(
        'invalid pipeline input: file: "/etc/passwd": an absolute path: name a path relative to the data directory',
      );
    });

    it('takes a plain relative name, and then only those the token has', () => {
      expect(() => policy.pipelineSource({ file: 'emp_data.json' })).not.toThrow();
      expect(() => policy.pipelineSource({ file: 'alice/2026-12.jsonl' }, alice)).not.toThrow();
      expect(refusal(() => policy.pipelineSource({ file: 'emp_data.json' }, alice)).message).toBe(
        'invalid pipeline input: file: token "alice" lacks the scope files:emp_data.json (its files: alice/*)',
      );
    });
  });

  describe('streams', () => {
    it('a stream reads its own topic, not another stream’s, and not its own results', () => {
      expect(() => policy.stream({ name: 'alice-s', topic: 'streamforge.stream.alice-s' }, alice)).not.toThrow();
      for (const topic of ['streamforge.stream.other', 'streamforge.stream.alice-s.results']) {
        expect(refusal(() => policy.stream({ name: 'alice-s', topic }, alice)).message).toMatch(
          /^invalid stream input: topic: topic ".*" is one of streamforge's own topics/,
        );
      }
    });

    it('only the streams a token has (403), every stream for an admin token', () => {
      const r = refusal(() => policy.stream({ name: 'bob-s', topic: 'streamforge.stream.bob-s' }, alice));
      expect([r.status, r.message]).toEqual([
        403,
        'invalid stream input: name: token "alice" lacks the scope streams:bob-s (its streams: alice-*)',
      ]);
      expect(() => policy.streamName('invalid request', 'name', 'bob-s', { ...alice, admin: true })).not.toThrow();
      expect(policy.maySeeStream('bob-s', alice)).toBe(false);
    });
  });

  it('runs: a token sees the runs it started; an admin token every run, those without an owner too', () => {
    expect(policy.maySeeRun('alice', alice)).toBe(true);
    expect(policy.maySeeRun('bob', alice)).toBe(false);
    expect(policy.maySeeRun(undefined, alice)).toBe(false);
    expect(policy.maySeeRun(undefined, fullGrant('api-token'))).toBe(true);
  });
});
