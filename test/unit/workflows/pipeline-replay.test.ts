// pipelineWorkflow replays the histories of finished runs without a non-determinism error: one recorded by the
// code before collect became a regular activity (collect and release as local activities in one workflow task:
// the COLLECT_AS_ACTIVITY patch must take the old path for it), one of a small run recorded before small runs took
// their steps in one workflow task (the SMALL_RUNS patch must take the old path for it), and one of a small run in
// one workflow task (two jobs). A change to the workflow that breaks any needs a patch of its own. The fixtures are binary History protos
// (`temporal.api.history.v1.History.encode(await handle.fetchHistory())`): the JSON route of this SDK version fails
// here with two copies of protobufjs installed side by side ("type must be a Type").
import fs from 'node:fs';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../../support/temporal';

const fixture = (name: string) => temporal.api.history.v1.History.decode(fs.readFileSync(path.join(__dirname, '../../fixtures', name)));

describe('pipelineWorkflow replay', () => {
  it.each(['pipeline-history-collect-local.bin', 'pipeline-history.bin', 'pipeline-history-small-run.bin'])(
    'replays %s',
    async (name) => {
      const history = fixture(name);
      await expect(Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history)).resolves.toBeUndefined();
    },
    60_000,
  );
});
