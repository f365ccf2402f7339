// The workflow bundle's entry point: every workflow type the worker serves, by the name clients start it with.
export { stackCheckWorkflow } from './stack-check';
