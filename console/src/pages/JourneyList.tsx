// Journeys: each with its status, version, the customers who entered in the range and its goal rate.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { DateRangePicker } from '../components/DateRangePicker';
import { ErrorNote } from '../components/ErrorNote';
import { StatusBadge } from '../components/Status';
import { num, pct } from '../format';
import { useLoad } from '../load';
import { useRange } from '../range';
import { Link, usePageTitle } from '../router';
import type { JourneyReport, JourneyStatus, JourneySummary } from '../types';

const statuses: JourneyStatus[] = ['draft', 'active', 'paused', 'archived'];

export function JourneyList() {
  const { t } = useTranslation();
  usePageTitle(t('journeys.title'));
  const [status, setStatus] = useState<JourneyStatus | ''>('');
  const { query } = useRange();
  const list = useLoad(() => api<{ items: JourneySummary[] }>('/v1/journeys', { query: { status } }), [status]);
  const ids = list.data?.items.filter((j) => j.latestVersion > 0).map((j) => j.id).join(',') ?? '';
  // One report per published journey, side by side (a never-published draft has none).
  const reports = useLoad(async () => {
    const entries = await Promise.all(ids.split(',').filter(Boolean).map(async (id) =>
      [id, await api<JourneyReport>(`/v1/reports/journeys/${encodeURIComponent(id)}`, { query })] as const));
    return new Map(entries);
  }, [ids, query.from, query.to]);

  return (
    <section>
      <div className="page-head">
        <h1 tabIndex={-1}>{t('journeys.title')}</h1>
        <label>{t('journeys.statusFilter')}{' '}
          <select value={status} onChange={(e) => setStatus(e.target.value as JourneyStatus | '')}>
            <option value="">{t('journeys.all')}</option>
            {statuses.map((s) => <option key={s} value={s}>{t(`status.${s}`)}</option>)}
          </select>
        </label>
      </div>
      <DateRangePicker />
      {list.error ? <ErrorNote error={list.error} /> : null}
      {reports.error ? <ErrorNote error={reports.error} /> : null}
      <div className="table-wrap">
        <table aria-busy={list.loading} data-testid="journey-list">
          <caption className="visually-hidden">{t('journeys.title')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('journeys.name')}</th><th scope="col">{t('journeys.status')}</th><th scope="col" className="n">{t('journeys.version')}</th>
              <th scope="col" className="n">{t('journeys.customersIn')}</th><th scope="col" className="n">{t('journeys.goalRate')}</th>
            </tr>
          </thead>
          <tbody>
            {list.data?.items.map((j) => {
              const report = reports.data?.get(j.id);
              return (
                <tr key={j.id}>
                  <td><Link to={`/journeys/${encodeURIComponent(j.id)}`}>{j.name}</Link> <span className="muted">{j.id}</span></td>
                  <td><StatusBadge status={j.status} /></td>
                  <td className="n">{j.latestVersion > 0 ? `v${j.latestVersion}` : '—'}</td>
                  <td className="n">{report ? num(report.entered) : '—'}</td>
                  <td className="n">{report ? pct(report.goalRate) : '—'}</td>
                </tr>
              );
            })}
            {list.data && list.data.items.length === 0 && <tr><td colSpan={5}>{t('journeys.none')}</td></tr>}
          </tbody>
        </table>
      </div>
    </section>
  );
}
