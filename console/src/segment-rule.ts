// The rule editor's model: the API's SegmentRule with the values as typed (text, and the kind of
// value they are), a key per node for React, and NOT as a flag on any node. `toRule` gives the
// API's rule and each node's path in it (`rule.rules.1`), so a 400's field lands on its node.
import type { ConditionOp, RuleCondition, RuleValue, SegmentRule } from './types';

export type ValueKind = 'text' | 'number' | 'boolean';
export interface EditCondition { key: string; field: string; op: ConditionOp; value: string; kind: ValueKind }
interface EditNode { key: string; negated: boolean }
export interface EditGroup extends EditNode { type: 'and' | 'or'; rules: EditRule[] }
export interface EditProfile extends EditNode, Omit<EditCondition, 'key'> { type: 'profile' }
export interface EditBehaviour extends EditNode { type: 'behaviour'; event: string; where: EditCondition[]; days: string; gte: string; lte: string }
export type EditRule = EditGroup | EditProfile | EditBehaviour;

/** Profile fields a segment can test (`traits.<name>` and `consent.<channel>` take any name). */
export const profileFields = [
  'stage', 'tier', 'points', 'tags', 'counters.orders', 'counters.spend', 'counters.events', 'counters.lastOrderAt', 'counters.lastSeenAt',
  'counters.firstSeenAt', 'scores.r', 'scores.f', 'scores.m', 'scores.rfm', 'scores.value', 'scores.attrition', 'scores.potential',
  'traits.', 'consent.email', 'consent.sms', 'consent.wechat', 'consent.push',
] as const;

let counter = 0;
const newKey = (): string => `n${++counter}`;

/** The kind of value a field usually holds: numbers for counts and scores, yes/no for consent. */
export function kindOf(field: string): ValueKind {
  if (field === 'points' || /^counters\.(orders|spend|events)$/.test(field) || /^scores\.(r|f|m|value|attrition|potential)$/.test(field)) return 'number';
  if (field.startsWith('consent.')) return 'boolean';
  return 'text';
}

export const newCondition = (field = 'stage', op: ConditionOp = 'eq', value = ''): EditCondition => ({ key: newKey(), field, op, value, kind: kindOf(field) });
export const newProfile = (): EditRule => ({ ...newCondition(), type: 'profile', negated: false });
export const newBehaviour = (): EditRule => ({ key: newKey(), negated: false, type: 'behaviour', event: '', where: [], days: '7', gte: '1', lte: '' });
export const newGroup = (type: 'and' | 'or' = 'and', rules: EditRule[] = [newProfile()]): EditGroup => ({ key: newKey(), negated: false, type, rules });

/** What a node's input holds before the API sees it: problems the console can name on its own. */
export type LocalProblem = 'required' | 'number' | 'wholeNumber';

function typed(text: string, kind: ValueKind): { value?: RuleValue; problem?: LocalProblem } {
  const t = text.trim();
  if (t === '') return { problem: 'required' };
  if (kind === 'number') return Number.isFinite(Number(t)) ? { value: Number(t) } : { problem: 'number' };
  if (kind === 'boolean') return { value: t === 'true' };
  return { value: t };
}

function conditionValue(c: Omit<EditCondition, 'key'>): { value?: RuleValue; problem?: LocalProblem } {
  if (c.op === 'exists') return { value: c.value !== 'false' };
  if (c.op === 'in') {
    const parts = c.value.split(',').map((p) => p.trim()).filter(Boolean).map((p) => typed(p, c.kind === 'boolean' ? 'text' : c.kind));
    const bad = parts.find((p) => p.problem);
    if (parts.length === 0 || bad) return { problem: bad?.problem ?? 'required' };
    return { value: parts.map((p) => p.value as string | number) };
  }
  return typed(c.value, c.kind);
}

const wholeNumber = (text: string): { n?: number; problem?: LocalProblem } => {
  const t = text.trim();
  if (t === '') return {};
  return /^\d+$/.test(t) ? { n: Number(t) } : { problem: 'wholeNumber' };
};

export interface Built {
  rule: SegmentRule;
  /** Every node's path in the API's rule (the NOT around a negated node included). */
  paths: Map<string, string>;
  /** Inputs the console already knows are incomplete, by node key and the field's part (`value`, `where.0.field`). */
  problems: Map<string, { part: string; problem: LocalProblem }[]>;
}

/** The API's rule for the edited tree. */
export function toRule(root: EditRule): Built {
  const paths = new Map<string, string>();
  const problems = new Map<string, { part: string; problem: LocalProblem }[]>();
  const note = (key: string, part: string, problem: LocalProblem) => problems.set(key, [...(problems.get(key) ?? []), { part, problem }]);

  const condition = (c: Omit<EditCondition, 'key'>, key: string, prefix: string): RuleCondition => {
    if (c.field.trim() === '' || c.field.endsWith('.')) note(key, `${prefix}field`, 'required');
    const { value, problem } = conditionValue(c);
    if (problem) note(key, `${prefix}value`, problem);
    return { field: c.field.trim(), op: c.op, ...(value !== undefined && { value }) };
  };

  const build = (node: EditRule, path: string): SegmentRule => {
    const inner = node.negated ? `${path}.rule` : path;
    paths.set(node.key, inner);
    let rule: SegmentRule;
    if (node.type === 'profile') rule = { type: 'profile', ...condition(node, node.key, '') };
    else if (node.type !== 'behaviour') rule = { type: node.type, rules: node.rules.map((r, i) => build(r, `${inner}.rules.${i}`)) };
    else {
      if (node.event.trim() === '') note(node.key, 'event', 'required');
      const days = wholeNumber(node.days);
      if (days.problem || days.n === undefined) note(node.key, 'within', days.problem ?? 'required');
      const gte = wholeNumber(node.gte);
      const lte = wholeNumber(node.lte);
      if (gte.problem) note(node.key, 'count.gte', gte.problem);
      if (lte.problem) note(node.key, 'count.lte', lte.problem);
      if (gte.n === undefined && lte.n === undefined && !gte.problem && !lte.problem) note(node.key, 'count', 'required');
      rule = {
        type: 'behaviour', event: node.event.trim(), within: `${node.days.trim()} days`,
        count: { ...(gte.n !== undefined && { gte: gte.n }), ...(lte.n !== undefined && { lte: lte.n }) },
        ...(node.where.length > 0 && { where: node.where.map((w, i) => condition(w, node.key, `where.${i}.`)) }),
      };
    }
    return node.negated ? { type: 'not', rule } : rule;
  };
  return { rule: build(root, 'rule'), paths, problems };
}

const valueText = (v: RuleValue | undefined): string => (v === undefined ? '' : Array.isArray(v) ? v.join(', ') : String(v));
const kindOfValue = (v: RuleValue | undefined, field: string): ValueKind => {
  const one = Array.isArray(v) ? v[0] : v;
  return typeof one === 'number' ? 'number' : typeof one === 'boolean' ? 'boolean' : one === undefined ? kindOf(field) : 'text';
};
const editCondition = (c: RuleCondition): EditCondition => ({ key: newKey(), field: c.field, op: c.op, value: c.op === 'exists' ? String(c.value !== false) : valueText(c.value), kind: kindOfValue(c.value, c.field) });

/** A saved rule as the editor holds it; the root is always a group. */
export function fromRule(rule: SegmentRule): EditGroup {
  const walk = (r: SegmentRule, negated = false): EditRule => {
    switch (r.type) {
      case 'not': return walk(r.rule, !negated);
      case 'and': case 'or': return { key: newKey(), negated, type: r.type, rules: r.rules.map((x) => walk(x)) };
      case 'profile': { const { type: _type, ...c } = r; return { ...editCondition(c), type: 'profile', negated }; }
      case 'behaviour': return {
        key: newKey(), negated, type: 'behaviour', event: r.event, where: (r.where ?? []).map(editCondition),
        days: String(daysOf(r.within) ?? r.within), gte: r.count.gte === undefined ? '' : String(r.count.gte), lte: r.count.lte === undefined ? '' : String(r.count.lte),
      };
    }
  };
  const root = walk(rule);
  return root.type === 'and' || root.type === 'or' ? root : newGroup('and', [root]);
}

/** Whole days of "7 days", "1 week", "48h" (the API's ms-style durations), when it is whole days. */
export function daysOf(within: string): number | undefined {
  const m = /^(\d+)\s*(d|days?|w|weeks?|h|hours?)$/i.exec(within.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = m[2]!.toLowerCase()[0];
  const days = unit === 'w' ? n * 7 : unit === 'h' ? n / 24 : n;
  return Number.isInteger(days) ? days : undefined;
}

/** The node an API field names (`rule.rules.1.value`): the deepest node whose path starts it, and what is left (`value`). */
export function nodeOfField(field: string, paths: Map<string, string>): { key: string; part: string } | undefined {
  let best: { key: string; path: string } | undefined;
  for (const [key, path] of paths) {
    if ((field === path || field.startsWith(`${path}.`)) && (!best || path.length > best.path.length)) best = { key, path };
  }
  return best && { key: best.key, part: field.slice(best.path.length + 1) };
}

/** A replaced node anywhere in the tree (by key). */
export function replaceNode(root: EditRule, key: string, replace: (node: EditRule) => EditRule | undefined): EditRule | undefined {
  if (root.key === key) return replace(root);
  if (root.type !== 'and' && root.type !== 'or') return root;
  return { ...root, rules: root.rules.map((r) => replaceNode(r, key, replace)).filter((r): r is EditRule => r !== undefined) };
}

/** How deep the tree goes, counting each NOT as the API does. */
export function depthOf(node: EditRule): number {
  const own = node.negated ? 2 : 1;
  return own + (node.type === 'and' || node.type === 'or' ? Math.max(0, ...node.rules.map(depthOf)) : 0);
}
