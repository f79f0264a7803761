// The version's steps drawn as a flow graph (React Flow, laid out by dagre): each node shows what
// the step does, how many customers entered it in the range, how many are at it now, and any
// validation error naming it; with a backtest, what the simulation did at each step beside it.
import { memo, useEffect, useMemo, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { Background, Controls, Handle, Position, ReactFlow, useNodesInitialized, useNodesState, useReactFlow, useStore, type Edge, type Node, type NodeProps } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { journeyGraph, nodeSize, type GraphNode } from '../journey-graph';
import { simulatedAt, type Simulated } from '../backtest';
import { duration, num, pct } from '../format';
import type { BacktestResult, JourneyDefinition, Step } from '../types';

type StepData = { node: GraphNode; title: string; detail: string; count?: number; now?: number; errors: string[]; countLabel: string; nowLabel: string; sim?: Simulated; simLabel: string };

function detailOf(step: Step | undefined, t: ReturnType<typeof useTranslation>['t']): string {
  switch (step?.type) {
    case 'wait': return duration(step.duration);
    case 'wait_until': return step.date ? `${step.date} ${step.time}` : step.time;
    case 'wait_for_event': return `${step.event} · ${duration(step.timeout)}`;
    case 'send': return `${step.channel} · ${step.template}`;
    case 'update_profile': return [step.addTags?.length ? `+${step.addTags.join(', ')}` : '', step.points ? `${step.points > 0 ? '+' : ''}${step.points} ${t('graph.points')}` : ''].filter(Boolean).join(' · ');
    case 'branch': return t('graph.branches', { count: step.branches.length + 1 });
    case 'split': return t('graph.arms', { count: step.variants.length });
    default: return '';
  }
}

function SimulatedLines({ sim, label }: { sim: Simulated; label: string }) {
  const { t } = useTranslation();
  const signed = (v?: number) => (v === undefined ? '' : ` · ${v > 0 ? '+' : ''}${pct(v)}`);
  return (
    <div className="step-sim" title={label}>
      <span className="step-sim-tag">{t('backtest.tag')}</span> <span className="step-sim-n">{num(sim.reached)}</span> {t('backtest.reached')}
      {sim.sends !== undefined && <> · <span className="step-sim-sends">{num(sim.sends)}</span> {t('backtest.sent')}</>}
      {sim.exits !== undefined && <> · {num(sim.exits)} {t('backtest.left')}</>}
      {sim.variants?.map((v) => <div key={v.name} className="step-sim-variant" data-variant={v.name}>{v.name === 'holdout' ? t('graph.holdout') : v.name}: {num(v.entered)} · {pct(v.conversionRate)}{signed(v.uplift)}</div>)}
    </div>
  );
}

const StepNode = memo(function StepNode({ data }: NodeProps<Node<StepData>>) {
  const { node, title, detail, count, now, errors, countLabel, nowLabel, sim, simLabel } = data;
  return (
    <div className={`step-node kind-${node.kind}${errors.length ? ' has-error' : ''}`} data-step={node.id}>
      {node.kind !== 'trigger' && <Handle type="target" position={Position.Top} />}
      <div className="step-head"><span className="step-type">{title}</span>{count !== undefined && <span className="step-count" title={countLabel}>{num(count)}</span>}</div>
      <div className="step-id">{node.kind === 'trigger' || node.kind === 'holdout' ? detail : node.id}</div>
      {node.kind !== 'trigger' && node.kind !== 'holdout' && detail && <div className="step-detail">{detail}</div>}
      {now !== undefined && <div className="step-now" title={nowLabel}><span className="step-now-n">{num(now)}</span> {nowLabel}</div>}
      {sim && <SimulatedLines sim={sim} label={simLabel} />}
      {errors.map((e) => <div key={e} className="step-error" role="note">{e}</div>)}
      {node.kind !== 'exit' && node.kind !== 'holdout' && <Handle type="source" position={Position.Bottom} />}
    </div>
  );
});
const nodeTypes = { step: StepNode };
const fitOptions = { padding: 0.08, maxZoom: 1.1 };

/** The whole journey in view once the nodes are measured, and again whenever the pane changes size. */
function FitToPane() {
  const { fitView } = useReactFlow();
  const ready = useNodesInitialized();
  const width = useStore((s) => s.width);
  const height = useStore((s) => s.height);
  useEffect(() => { if (ready && width && height) void fitView(fitOptions); }, [ready, width, height, fitView]);
  return null;
}

/** Lines a backtest adds to a node (a split's one per arm), so the layout leaves room for them. */
const simHeight = (step: Step | undefined) => 22 + (step?.type === 'split' ? 18 * (step.variants.length + (step.holdout ? 1 : 0)) : 0);

export function JourneyGraph({ definition, counts, now, errors, holdoutCustomers, backtest, label }: {
  definition: JourneyDefinition; counts?: Map<string, number>; now?: Map<string, number>; errors?: Map<string, string[]>; holdoutCustomers?: number;
  /** A completed backtest of this version: its figures drawn on each step. */
  backtest?: BacktestResult;
  /** What the graph is, for screen readers, when a page has more than one. */
  label?: string;
}) {
  const { t } = useTranslation();
  const { nodes, edges } = useMemo(() => {
    const graph = journeyGraph(definition, backtest ? simHeight : undefined);
    const trigger = `${definition.trigger.type}${'event' in definition.trigger ? ` · ${String(definition.trigger.event)}` : ''}`;
    const nodes: Node<StepData>[] = graph.nodes.map((n) => {
      const count = n.kind === 'holdout' ? holdoutCustomers : counts?.get(n.id);
      // Customers wait at a step that waits (or at one a paused journey holds): zero where nobody is.
      const here = now && n.step && n.kind !== 'exit' ? now.get(n.id) ?? 0 : undefined;
      const sim = backtest ? simulatedAt(backtest, n) : undefined;
      return {
      id: n.id, type: 'step', position: { x: n.x, y: n.y }, width: nodeSize.width,
      ariaLabel: `${t(`steps.${n.kind}`)} ${n.kind === 'trigger' || n.kind === 'holdout' ? '' : n.id}${count === undefined ? '' : `: ${num(count)} ${t('graph.entered')}`}${here === undefined ? '' : `, ${num(here)} ${t('graph.now')}`}${sim ? `, ${t('backtest.tag')}: ${num(sim.reached)} ${t('backtest.reached')}${sim.sends === undefined ? '' : `, ${num(sim.sends)} ${t('backtest.sent')}`}` : ''}`,
      data: {
        node: n,
        title: t(`steps.${n.kind}`),
        detail: n.kind === 'trigger' ? trigger : n.kind === 'holdout' ? t('graph.holdoutLeaves') : detailOf(n.step, t),
        count,
        now: here,
        countLabel: t('graph.entered'),
        nowLabel: t('graph.now'),
        errors: errors?.get(n.id) ?? [],
        sim,
        simLabel: t('backtest.onNode'),
      },
      };
    });
    const edgeLabel = (kind: string, label?: string) => kind === 'otherwise' ? t('graph.otherwise') : kind === 'timeout' ? `${t('graph.timeout')} ${duration(label)}` : kind === 'holdout' ? `${t('graph.holdout')} ${label}` : label;
    const flowEdges: Edge[] = graph.edges.map((e) => ({
      id: e.id, source: e.source, target: e.target, label: edgeLabel(e.kind, e.label), type: 'smoothstep',
      className: `edge-${e.kind}`, labelBgPadding: [4, 2], labelStyle: { fontSize: 13 },
    }));
    return { nodes, edges: flowEdges };
  }, [definition, counts, now, errors, holdoutCustomers, backtest, t]);

  // React Flow forgets a node's measured size whenever it is handed a new node object, and hides
  // the node (and its edges) until it measures it again; the figures arrive after the first draw,
  // and a node it failed to measure again stayed hidden. So the nodes are state that keeps each
  // node's measured size across new figures (onNodesChange records it), within one layout.
  const [flowNodes, setFlowNodes, onNodesChange] = useNodesState(nodes);
  const layout = useRef(backtest ? 'backtest' : 'plain');
  useEffect(() => {
    const sameLayout = layout.current === (backtest ? 'backtest' : 'plain');
    layout.current = backtest ? 'backtest' : 'plain';
    setFlowNodes((drawn) => {
      const measured = new Map(sameLayout ? drawn.map((n) => [n.id, n.measured]) : []);
      return nodes.map((n) => ({ ...n, ...(measured.get(n.id) && { measured: measured.get(n.id) }) }));
    });
  }, [nodes, backtest, setFlowNodes]);

  return (
    <div className="graph" data-testid="journey-graph" role={label ? 'group' : undefined} aria-label={label}>
      {/* Drawn afresh with a backtest's lines (taller nodes, another layout), so it is fitted again once measured. */}
      <ReactFlow key={backtest ? 'backtest' : 'plain'} nodes={flowNodes} onNodesChange={onNodesChange} edges={edges} nodeTypes={nodeTypes} fitView fitViewOptions={fitOptions} minZoom={0.2}
        nodesDraggable={false} nodesConnectable={false} elementsSelectable edgesFocusable={false} ariaLabelConfig={{ 'node.a11yDescription.default': t('graph.a11y') }}>
        <Background gap={24} />
        <Controls showInteractive={false} fitViewOptions={fitOptions} />
        <FitToPane />
      </ReactFlow>
    </div>
  );
}
