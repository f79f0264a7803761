// Reading a backtest's result on the graph: what the simulation did at each node.
import type { GraphNode } from './journey-graph';
import type { BacktestResult } from './types';

export interface Simulated {
  /** Enrollments that reached the step (the trigger: customers who entered; a holdout: those held out). */
  reached: number;
  /** A send step: messages of its template sent. */
  sends?: number;
  /** A holdout: customers who left there. */
  exits?: number;
  /** A split: each arm and the holdout, with its conversion rate and uplift over the holdout. */
  variants?: BacktestResult['variants'];
}

export function simulatedAt(result: BacktestResult, node: GraphNode): Simulated {
  const reached = new Map(result.funnel.map((f) => [f.stepId, f.reached]));
  if (node.kind === 'trigger') return { reached: result.customers.entered };
  if (node.kind === 'holdout') return { reached: result.variants.find((v) => v.name === 'holdout')?.entered ?? 0, exits: result.exits.holdout ?? 0 };
  const step = node.step;
  const sim: Simulated = { reached: reached.get(node.id) ?? 0 };
  if (step?.type === 'send') sim.sends = result.sends.byTemplate[step.template] ?? 0;
  if (step?.type === 'split') {
    const names = new Set([...step.variants.map((v) => v.name), ...(step.holdout ? ['holdout'] : [])]);
    sim.variants = result.variants.filter((v) => names.has(v.name));
  }
  return sim;
}
