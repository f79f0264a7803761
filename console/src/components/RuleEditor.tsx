// The segment rule as nested boxes: a group (all of / any of) holds conditions and groups; any
// node can be negated (NOT). Each problem is shown on the node, and on the input, it names.
import { useTranslation } from 'react-i18next';
import { conditionOps, stages } from '../types';
import {
  depthOf, newBehaviour, newCondition, newGroup, newProfile, profileFields, replaceNode, kindOf,
  type EditCondition, type EditGroup, type EditRule, type ValueKind,
} from '../segment-rule';

/** A problem on a node: the part of it the field names (`value`, `where.0.field`, '' for the node itself). */
export type NodeProblems = Map<string, { part: string; message: string }[]>;
type T = ReturnType<typeof useTranslation>['t'];
const maxDepth = 10;

interface Ctx { root: EditGroup; onChange: (root: EditGroup) => void; problems: NodeProblems; t: T }

const update = (ctx: Ctx, key: string, fn: (n: EditRule) => EditRule | undefined) => {
  const next = replaceNode(ctx.root, key, fn);
  if (next && (next.type === 'and' || next.type === 'or')) ctx.onChange(next);
};

/** Props that tie an input to the problems naming its part. */
function invalidProps(ctx: Ctx, key: string, part: string) {
  const mine = ctx.problems.get(key)?.some((p) => p.part === part || p.part.startsWith(`${part}.`));
  return mine ? { 'aria-invalid': true as const, 'aria-describedby': `problems-${key}` } : {};
}

function Problems({ ctx, nodeKey }: { ctx: Ctx; nodeKey: string }) {
  const list = ctx.problems.get(nodeKey) ?? [];
  return (
    <ul id={`problems-${nodeKey}`} className="rule-problems" data-testid="rule-problems">
      {list.map((p) => <li key={p.part + p.message}>{p.part && <code>{p.part}</code>} {p.message}</li>)}
    </ul>
  );
}

function ConditionFields({ ctx, nodeKey, c, prefix, onChange, fields }: {
  ctx: Ctx; nodeKey: string; c: Omit<EditCondition, 'key'>; prefix: string; onChange: (c: Partial<EditCondition>) => void; fields?: readonly string[];
}) {
  const { t } = ctx;
  const listId = `fields-${nodeKey}-${prefix}`;
  return (
    <div className="condition">
      <label>{t('segments.field')}
        <input type="text" value={c.field} list={fields ? listId : undefined} spellCheck={false} name={`${prefix}field`}
          onChange={(e) => onChange({ field: e.target.value, kind: kindOf(e.target.value) })} {...invalidProps(ctx, nodeKey, `${prefix}field`)} />
        {fields && <datalist id={listId}>{fields.map((f) => <option key={f} value={f} />)}</datalist>}
      </label>
      <label>{t('segments.op')}
        <select value={c.op} name={`${prefix}op`} onChange={(e) => onChange({ op: e.target.value as EditCondition['op'], ...(e.target.value === 'exists' && { value: 'true' }) })}>
          {conditionOps.map((op) => <option key={op} value={op}>{t(`ops.${op}`)}</option>)}
        </select>
      </label>
      {c.op === 'exists' ? (
        <label>{t('segments.value')}
          <select value={c.value === 'false' ? 'false' : 'true'} name={`${prefix}value`} onChange={(e) => onChange({ value: e.target.value })}>
            <option value="true">{t('segments.isSet')}</option><option value="false">{t('segments.isNotSet')}</option>
          </select>
        </label>
      ) : (
        <>
          <label>{t('segments.value')}
            {c.kind === 'boolean' && c.op !== 'in' ? (
              <select value={c.value === 'false' ? 'false' : c.value === 'true' ? 'true' : ''} name={`${prefix}value`} onChange={(e) => onChange({ value: e.target.value })} {...invalidProps(ctx, nodeKey, `${prefix}value`)}>
                <option value="">—</option><option value="true">{t('common.yes')}</option><option value="false">{t('common.no')}</option>
              </select>
            ) : (
              <input type="text" value={c.value} name={`${prefix}value`} spellCheck={false} list={c.field === 'stage' ? 'stage-values' : undefined}
                placeholder={c.op === 'in' ? t('segments.listHint') : undefined} onChange={(e) => onChange({ value: e.target.value })} {...invalidProps(ctx, nodeKey, `${prefix}value`)} />
            )}
          </label>
          <label>{t('segments.kind')}
            <select value={c.kind} name={`${prefix}kind`} onChange={(e) => onChange({ kind: e.target.value as ValueKind })}>
              {(['text', 'number', 'boolean'] as const).map((k) => <option key={k} value={k}>{t(`segments.kinds.${k}`)}</option>)}
            </select>
          </label>
        </>
      )}
    </div>
  );
}

function NodeTools({ ctx, node, canRemove }: { ctx: Ctx; node: EditRule; canRemove: boolean }) {
  const { t } = ctx;
  return (
    <span className="node-tools">
      <label className="inline"><input type="checkbox" checked={node.negated} name="negated" onChange={(e) => update(ctx, node.key, (n) => ({ ...n, negated: e.target.checked }))} /> {t('segments.not')}</label>
      {canRemove && <button type="button" className="secondary small" data-action="remove" onClick={() => update(ctx, node.key, () => undefined)} aria-label={t('segments.removeNode')}>{t('segments.remove')}</button>}
    </span>
  );
}

function Node({ ctx, node, depth, canRemove }: { ctx: Ctx; node: EditRule; depth: number; canRemove: boolean }) {
  const { t } = ctx;
  const set = (patch: Partial<EditRule>) => update(ctx, node.key, (n) => ({ ...n, ...patch }) as EditRule);
  const legend = node.type === 'and' || node.type === 'or' ? t('segments.group') : t(`segments.${node.type}`);
  return (
    <fieldset className={`rule-node rule-${node.type}${node.negated ? ' negated' : ''}${ctx.problems.get(node.key)?.length ? ' has-error' : ''}`} data-node={node.type}>
      <legend>{node.negated && <span className="not-badge">{t('segments.notBadge')}</span>} {legend}</legend>
      <NodeTools ctx={ctx} node={node} canRemove={canRemove} />
      {(node.type === 'and' || node.type === 'or') && (
        <>
          <label>{t('segments.match')}{' '}
            <select value={node.type} name="group-type" onChange={(e) => set({ type: e.target.value as 'and' | 'or' })}>
              <option value="and">{t('segments.and')}</option><option value="or">{t('segments.or')}</option>
            </select>
          </label>
          <ol className="rule-children">
            {node.rules.map((r) => <li key={r.key}><Node ctx={ctx} node={r} depth={depth + 1} canRemove /></li>)}
          </ol>
          <div className="button-row" role="group" aria-label={t('segments.addTo')}>
            <button type="button" className="secondary small" data-action="add-profile" onClick={() => set({ rules: [...node.rules, newProfile()] })}>{t('segments.addProfile')}</button>
            <button type="button" className="secondary small" data-action="add-behaviour" onClick={() => set({ rules: [...node.rules, newBehaviour()] })}>{t('segments.addBehaviour')}</button>
            <button type="button" className="secondary small" data-action="add-group" disabled={depthOf(ctx.root) >= maxDepth - 1} onClick={() => set({ rules: [...node.rules, newGroup(node.type === 'and' ? 'or' : 'and')] })}>{t('segments.addGroup')}</button>
          </div>
        </>
      )}
      {node.type === 'profile' && <ConditionFields ctx={ctx} nodeKey={node.key} c={node} prefix="" fields={profileFields} onChange={(c) => set(c)} />}
      {node.type === 'behaviour' && (
        <>
          <div className="condition">
            <label>{t('segments.event')}
              <input type="text" value={node.event} name="event" placeholder="Order Completed" onChange={(e) => set({ event: e.target.value })} {...invalidProps(ctx, node.key, 'event')} />
            </label>
            <label>{t('segments.withinDays')}
              <input type="number" min={1} max={90} value={node.days} name="within" inputMode="numeric" onChange={(e) => set({ days: e.target.value })} {...invalidProps(ctx, node.key, 'within')} />
            </label>
            <label>{t('segments.atLeast')}
              <input type="number" min={0} value={node.gte} name="count.gte" inputMode="numeric" onChange={(e) => set({ gte: e.target.value })} {...invalidProps(ctx, node.key, 'count')} />
            </label>
            <label>{t('segments.atMost')}
              <input type="number" min={0} value={node.lte} name="count.lte" inputMode="numeric" onChange={(e) => set({ lte: e.target.value })} {...invalidProps(ctx, node.key, 'count.lte')} />
            </label>
          </div>
          {node.where.map((w, i) => (
            <div key={w.key} className="where">
              <span className="muted">{t('segments.where')}</span>
              <ConditionFields ctx={ctx} nodeKey={node.key} c={w} prefix={`where.${i}.`} onChange={(c) => set({ where: node.where.map((x) => (x.key === w.key ? { ...x, ...c } : x)) })} />
              <button type="button" className="secondary small" aria-label={t('segments.removeWhere', { n: i + 1 })} onClick={() => set({ where: node.where.filter((x) => x.key !== w.key) })}>{t('segments.remove')}</button>
            </div>
          ))}
          <button type="button" className="secondary small" data-action="add-where" onClick={() => set({ where: [...node.where, newCondition('', 'eq')] })}>{t('segments.addWhere')}</button>
        </>
      )}
      <Problems ctx={ctx} nodeKey={node.key} />
    </fieldset>
  );
}

export function RuleEditor({ root, onChange, problems }: { root: EditGroup; onChange: (root: EditGroup) => void; problems: NodeProblems }) {
  const { t } = useTranslation();
  const ctx: Ctx = { root, onChange, problems, t };
  return (
    <div className="rule-editor" data-testid="rule-editor">
      <datalist id="stage-values">{stages.map((s) => <option key={s} value={s}>{t(`stages.${s}`)}</option>)}</datalist>
      <Node ctx={ctx} node={root} depth={1} canRemove={false} />
    </div>
  );
}
