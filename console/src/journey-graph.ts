// A journey version's steps as a laid-out graph: one node per step (and the trigger, and a split's
// holdout), one edge per way out of a step, placed top to bottom by dagre.
import dagre from '@dagrejs/dagre';
import type { Condition, JourneyDefinition, Step } from './types';

export const nodeSize = { width: 220, height: 86 };

export interface GraphNode { id: string; kind: 'trigger' | 'holdout' | Step['type']; step?: Step; x: number; y: number }
export interface GraphEdge { id: string; source: string; target: string; label?: string; kind: 'next' | 'branch' | 'otherwise' | 'arm' | 'holdout' | 'event' | 'timeout' }

export const triggerId = '__trigger';
const holdoutId = (stepId: string) => `__holdout:${stepId}`;

const condition = (c: Condition): string => `${c.field} ${c.op}${c.value === undefined ? '' : ` ${Array.isArray(c.value) ? c.value.join('|') : String(c.value)}`}`;

/** Ways out of a step, labelled as the marketer wrote them. */
export function exits(stepId: string, step: Step): Omit<GraphEdge, 'id' | 'source'>[] {
  switch (step.type) {
    case 'wait': case 'wait_until': case 'send': case 'update_profile': return [{ target: step.next, kind: 'next' }];
    case 'wait_for_event': return [{ target: step.onEvent, kind: 'event', label: step.event }, { target: step.onTimeout, kind: 'timeout', label: step.timeout }];
    case 'branch': return [
      ...step.branches.map((b) => ({ target: b.next, kind: 'branch' as const, label: b.when.map(condition).join(' & ') })),
      { target: step.otherwise, kind: 'otherwise' },
    ];
    case 'split': {
      const total = step.variants.reduce((s, v) => s + v.weight, 0) + (step.holdout ?? 0);
      const share = (w: number) => `${Math.round((w / (total || 1)) * 100)}%`;
      return [
        ...step.variants.map((v) => ({ target: v.next, kind: 'arm' as const, label: `${v.name} · ${share(v.weight)}` })),
        ...(step.holdout ? [{ target: holdoutId(stepId), kind: 'holdout' as const, label: share(step.holdout) }] : []),
      ];
    }
    case 'exit': return [];
  }
}

/** `extraHeight`: room a node needs below its own lines (a backtest's figures), so ranks do not overlap. */
export function journeyGraph(definition: Pick<JourneyDefinition, 'entry' | 'steps'>, extraHeight: (step: Step | undefined) => number = () => 0): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 36, ranksep: 56, marginx: 10, marginy: 10 });
  g.setDefaultEdgeLabel(() => ({}));
  const edges: GraphEdge[] = [];
  g.setNode(triggerId, { ...nodeSize, height: nodeSize.height + extraHeight(undefined), kind: 'trigger' });
  for (const [id, step] of Object.entries(definition.steps)) g.setNode(id, { ...nodeSize, height: nodeSize.height + extraHeight(step), kind: step.type, step });
  if (definition.entry in definition.steps) edges.push({ id: `${triggerId}->${definition.entry}`, source: triggerId, target: definition.entry, kind: 'next' });
  for (const [id, step] of Object.entries(definition.steps)) {
    for (const [i, e] of exits(id, step).entries()) {
      if (e.kind === 'holdout') g.setNode(e.target, { ...nodeSize, height: 56 + extraHeight(undefined), kind: 'holdout' });
      // An edge to a step the draft does not define stays out of the drawing; validation names it.
      if (!g.hasNode(e.target)) continue;
      edges.push({ ...e, id: `${id}->${e.target}#${i}`, source: id });
    }
  }
  // Labels take no room of their own (React Flow draws them on the edge): a rank per step, not two.
  for (const e of edges) g.setEdge(e.source, e.target, {}, e.id);
  dagre.layout(g);
  const nodes = g.nodes().map((id) => {
    const n = g.node(id) as unknown as { x: number; y: number; width: number; height: number; kind: GraphNode['kind']; step?: Step };
    // React Flow places a node by its top-left corner; dagre gives its centre.
    return { id, kind: n.kind, step: n.step, x: n.x - n.width / 2, y: n.y - n.height / 2 };
  });
  return { nodes, edges };
}

/** The step a validation error names: `steps.remind.next` → `remind`. */
export function stepOfField(field: string): string | undefined {
  const m = /^steps\.([^.]+)/.exec(field);
  return m?.[1];
}
