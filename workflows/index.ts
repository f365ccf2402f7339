// The workflow bundle's entry point: every workflow type the worker serves, by the name clients start it with.
export { pipelineWorkflow, progressQuery } from './pipeline';
export { stackCheckWorkflow } from './stack-check';
export { benchmarkProgressQuery, benchmarkWorkflow } from './benchmark';
export { stopSignal, streamingWorkflow, streamStatusQuery } from './streaming';
