// The step map a migration starts from: each step customers can be at on the source version goes
// to the step of the same id on the target, where there is one; otherwise they stay.
import type { JourneyDefinition } from './types';

export function defaultStepMap(source: Pick<JourneyDefinition, 'steps'>, target: Pick<JourneyDefinition, 'steps'>): Record<string, string> {
  return Object.fromEntries(Object.entries(source.steps)
    .filter(([, step]) => step.type !== 'exit')
    .map(([id]) => [id, id in target.steps ? id : '']));
}
