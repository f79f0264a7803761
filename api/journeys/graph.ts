// A journey's steps as a graph: where each step can lead, what is reachable, where loops and
// dead ends are. Pure functions over the step map, used by publish-time validation.
import type { Step } from '../../workflows/journeys/types.js';

export type Steps = Record<string, Step>;

/** One way out of a step: the field holding it (relative to the step) and the step it names. */
export interface Edge { field: string; to: string }

export function edges(step: Step): Edge[] {
  switch (step.type) {
    case 'wait': case 'wait_until': case 'send': case 'update_profile': return [{ field: 'next', to: step.next }];
    case 'wait_for_event': return [{ field: 'onEvent', to: step.onEvent }, { field: 'onTimeout', to: step.onTimeout }];
    case 'branch': return [...step.branches.map((b, i) => ({ field: `branches.${i}.next`, to: b.next })), { field: 'otherwise', to: step.otherwise }];
    case 'split': return step.variants.map((v, i) => ({ field: `variants.${i}.next`, to: v.next }));
    case 'exit': return [];
  }
}

/** Steps that hold a customer for a while: a loop through one of them cannot spin. */
export const isWait = (step: Step): boolean => step.type === 'wait' || step.type === 'wait_until' || step.type === 'wait_for_event';

const successors = (steps: Steps, id: string): string[] => {
  const step = steps[id];
  return step ? edges(step).map((e) => e.to).filter((to) => to in steps) : [];
};

/** Every step reachable from `from` (itself included), never passing through `avoid`. */
export function reachable(steps: Steps, from: string, avoid?: string): Set<string> {
  const seen = new Set<string>();
  const queue = from in steps && from !== avoid ? [from] : [];
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    if (seen.has(id)) continue;
    seen.add(id);
    for (const to of successors(steps, id)) if (to !== avoid && !seen.has(to)) queue.push(to);
  }
  return seen;
}

/** Steps from which some path leads to an `exit` step. */
export function leadingToExit(steps: Steps): Set<string> {
  const ids = Object.keys(steps);
  const found = new Set(ids.filter((id) => steps[id]!.type === 'exit'));
  for (let grew = true; grew;) {
    grew = false;
    for (const id of ids) {
      if (!found.has(id) && successors(steps, id).some((to) => found.has(to))) { found.add(id); grew = true; }
    }
  }
  return found;
}

/**
 * Loops that never wait: one cycle (as step ids, first step repeated at the end) per strongly
 * connected group of non-wait steps, starting at the group's first step in definition order.
 */
export function loopsWithoutWait(steps: Steps): string[][] {
  const ids = Object.keys(steps).filter((id) => !isWait(steps[id]!));
  const inSub = new Set(ids);
  const next = (id: string) => successors(steps, id).filter((to) => inSub.has(to));
  // Tarjan's strongly connected components over the non-wait steps.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      for (let w = stack.pop(); w !== undefined; w = w === v ? undefined : stack.pop()) { onStack.delete(w); group.push(w); }
      groups.push(group);
    }
  };
  for (const id of ids) if (!index.has(id)) visit(id);
  const order = new Map(ids.map((id, i) => [id, i]));
  return groups
    .filter((g) => g.length > 1 || next(g[0]!).includes(g[0]!))
    .map((g) => cycleThrough(g.sort((a, b) => order.get(a)! - order.get(b)!)[0]!, new Set(g), next))
    .sort((a, b) => order.get(a[0]!)! - order.get(b[0]!)!);
}

/** The shortest cycle from `start` back to itself inside `group`. */
function cycleThrough(start: string, group: Set<string>, next: (id: string) => string[]): string[] {
  const parent = new Map<string, string>();
  const queue = [start];
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    for (const to of next(id).filter((t) => group.has(t))) {
      if (to === start) {
        const path = [start];
        for (let at: string | undefined = id; at !== start && at !== undefined; at = parent.get(at)) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!parent.has(to)) { parent.set(to, id); queue.push(to); }
    }
  }
  return [start, start];
}
