// A time-skipping Temporal server (the Java test server from Maven, via .cache/) for one test file,
// with the project's search attributes registered.
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { timeSkippingServer } from '../../scripts/servers.js';
import { searchAttributeKeys } from '../../workflows/search-attributes.js';
import { quietRuntime } from './stack.js';

export async function timeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: timeSkippingServer } } });
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(searchAttributeKeys.map((k) => [k.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
  });
  return env;
}
