// Segments: each with its rule in one line, and a way to a new one.
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { ErrorNote } from '../components/ErrorNote';
import { dateTime, duration } from '../format';
import { useLoad } from '../load';
import { Link, usePageTitle } from '../router';
import type { RuleCondition, Segment, SegmentRule } from '../types';

type T = ReturnType<typeof useTranslation>['t'];
const symbols: Record<string, string> = { eq: '=', neq: '≠', gt: '>', gte: '≥', lt: '<', lte: '≤' };

const condition = (c: RuleCondition, t: T): string => {
  const value = c.value === undefined ? '' : ` ${Array.isArray(c.value) ? `[${c.value.join(', ')}]` : JSON.stringify(c.value)}`;
  return c.op === 'exists' ? `${c.field} ${t(c.value === false ? 'segments.isNotSet' : 'segments.isSet')}` : `${c.field} ${symbols[c.op] ?? t(`ops.${c.op}`)}${value}`;
};

/** The rule in one line, as a marketer reads it. */
export function describeRule(rule: SegmentRule, t: T, top = true): string {
  switch (rule.type) {
    case 'and': case 'or': {
      const inner = rule.rules.map((r) => describeRule(r, t, false)).join(` ${t(`segments.${rule.type}Word`)} `);
      return top || rule.rules.length === 1 ? inner : `(${inner})`;
    }
    case 'not': return `${t('segments.notBadge')} ${describeRule(rule.rule, t, false)}`;
    case 'profile': return condition(rule, t);
    case 'behaviour': {
      const { gte, lte } = rule.count;
      const times = gte !== undefined && lte !== undefined ? `${gte}–${lte}` : gte !== undefined ? `≥ ${gte}` : `≤ ${lte}`;
      const where = rule.where?.length ? ` (${rule.where.map((w) => condition(w, t)).join(', ')})` : '';
      return t('segments.didSummary', { event: rule.event, where, times, within: duration(rule.within) });
    }
  }
}

export function SegmentList() {
  const { t } = useTranslation();
  usePageTitle(t('segments.title'));
  const list = useLoad(() => api<{ items: Segment[] }>('/v1/segments'), []);
  return (
    <section>
      <div className="page-head">
        <h1 tabIndex={-1}>{t('segments.title')}</h1>
        <Link to="/segments/new" className="button-link">{t('segments.new')}</Link>
      </div>
      {list.error ? <ErrorNote error={list.error} /> : null}
      <div className="table-wrap">
        <table aria-busy={list.loading} data-testid="segment-list">
          <caption className="visually-hidden">{t('segments.title')}</caption>
          <thead><tr><th scope="col">{t('segments.name')}</th><th scope="col">{t('segments.rule')}</th><th scope="col">{t('segments.updated')}</th></tr></thead>
          <tbody>
            {list.data?.items.map((s) => (
              <tr key={s.id}>
                <td><Link to={`/segments/${encodeURIComponent(s.id)}`}>{s.name}</Link> <span className="muted">{s.id}</span></td>
                <td className="rule-summary">{describeRule(s.rule, t)}</td>
                <td>{dateTime(s.updatedAt)}</td>
              </tr>
            ))}
            {list.data && list.data.items.length === 0 && <tr><td colSpan={3}>{t('segments.none')}</td></tr>}
          </tbody>
        </table>
      </div>
    </section>
  );
}
