// Every workflow type the worker registers.
export { customerWorkflow } from './customer.js';
export { deferredIngestWorkflow } from './deferred-ingest.js';
export { campaignWorkflow } from './campaign.js';
export { reportDaysWorkflow } from './report-days.js';
export { backtestWorkflow } from './backtest.js';
export { sendAgainWorkflow } from './send-again.js';
export { transactionalSendWorkflow } from './transactional.js';
export { eventLaneWorkflow } from './event-lane.js';
export { importWorkflow } from './import.js';
