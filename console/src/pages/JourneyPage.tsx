// One journey: its version's steps as a graph with the funnel on the nodes, exits by reason,
// variants against the holdout, the actions its status allows, a backtest drawn on the same graph,
// and the migration of customers between versions.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { DateRangePicker } from '../components/DateRangePicker';
import { ErrorNote } from '../components/ErrorNote';
import { JourneyActions } from '../components/JourneyActions';
import { BacktestForm, useBacktest } from '../components/JourneyBacktest';
import { BacktestSummary } from '../components/BacktestSummary';
import { JourneyMigrate } from '../components/JourneyMigrate';
import { JourneyGraph } from '../components/JourneyGraph';
import { JourneyResults } from '../components/JourneyResults';
import { placesNow } from '../report';
import { StatusBadge } from '../components/Status';
import { stepOfField } from '../journey-graph';
import { useLoad } from '../load';
import { useRange } from '../range';
import { Link, navigate, usePageTitle } from '../router';
import type { JourneyDefinition, JourneyDetail, JourneyReport, PublishedVersion } from '../types';

export function JourneyPage({ id }: { id: string }) {
  const { t } = useTranslation();
  const { query } = useRange();
  const path = `/v1/journeys/${encodeURIComponent(id)}`;
  const detail = useLoad(() => api<JourneyDetail>(path), [path]);
  const journey = detail.data;
  usePageTitle(journey?.name ?? t('journeys.title'));
  const [chosen, setChosen] = useState<number | 'draft'>();
  const [message, setMessage] = useState<string>();
  const [invalid, setInvalid] = useState<{ field: string; message: string }[]>([]);
  const [panel, setPanel] = useState<'backtest' | 'migrate'>();
  const backtest = useBacktest(id);
  const run = backtest.run;
  // The latest version unless the marketer picks another (or the draft, which is all a new journey has).
  const shown: number | 'draft' = invalid.length ? 'draft' : chosen ?? (journey && journey.latestVersion > 0 ? journey.latestVersion : 'draft');
  const version = useLoad<JourneyDefinition | undefined>(async () => {
    if (!journey) return undefined;
    if (shown === 'draft') return journey.draft;
    return (await api<PublishedVersion>(`${path}/versions/${shown}`)).definition;
  }, [journey, shown, path]);
  const report = useLoad<JourneyReport | undefined>(
    async () => (journey && journey.latestVersion > 0 ? api<JourneyReport>(`/v1/reports/journeys/${encodeURIComponent(id)}`, { query }) : undefined),
    [journey?.latestVersion, id, query.from, query.to]);

  const counts = useMemo(() => new Map(report.data?.steps.map((s) => [s.stepId, s.customers])), [report.data]);
  // Who is at each step now, on the version drawn (a draft has no one).
  const now = useMemo(() => (report.data && shown !== 'draft' ? placesNow(report.data, shown) : undefined), [report.data, shown]);
  const errors = useMemo(() => {
    const byStep = new Map<string, string[]>();
    for (const d of invalid) {
      const step = stepOfField(d.field);
      if (step) byStep.set(step, [...(byStep.get(step) ?? []), `${d.field}: ${d.message}`]);
    }
    return byStep;
  }, [invalid]);
  const holdout = report.data?.variants.find((v) => v.variant === 'holdout')?.customers;
  const nowOf = useCallback((v: number) => (report.data ? placesNow(report.data, v) : undefined), [report.data]);
  // A backtest named by the address is of one version: draw that one.
  useEffect(() => { if (run && run.request.version !== shown) setChosen(run.request.version); }, [run?.id]);
  const simulated = run?.result && run.request.version === shown ? run.result : undefined;
  const backtestOpen = panel === 'backtest' || !!run;
  // Closing the backtest also takes its result off the graph (and its id out of the address).
  const toggle = (which: 'backtest' | 'migrate') => {
    const open = which === 'backtest' ? backtestOpen : panel === which;
    setPanel(open ? undefined : which);
    if (which === 'backtest' && open && run) navigate(`/journeys/${encodeURIComponent(id)}`, { replace: true });
  };

  if (detail.error) return <section><h1 tabIndex={-1}>{id}</h1><ErrorNote error={detail.error} /></section>;
  if (!journey) return <section aria-busy="true"><h1 tabIndex={-1}>{t('common.loading')}</h1></section>;
  return (
    <section>
      <p className="crumbs"><Link to="/journeys">{t('journeys.title')}</Link> / {journey.id}</p>
      <div className="page-head">
        <h1 tabIndex={-1}>{journey.name} <StatusBadge status={journey.status} /></h1>
        <JourneyActions journey={journey} onInvalid={setInvalid} onDone={(m) => { setMessage(m); setChosen(undefined); detail.reload(); }} />
      </div>
      <p role="status" className="notice">{message}</p>
      {invalid.length > 0 && (
        <div className="error-box" role="alert" data-testid="validation-errors">
          <h2>{t('journey.invalidTitle')}</h2>
          <ul>{invalid.map((d) => <li key={d.field + d.message}><code>{d.field}</code> {d.message}</li>)}</ul>
        </div>
      )}
      <div className="toolbar">
        <label>{t('journey.version')}{' '}
          <select value={String(shown)} onChange={(e) => { setChosen(e.target.value === 'draft' ? 'draft' : Number(e.target.value)); if (run) navigate(`/journeys/${encodeURIComponent(id)}`, { replace: true }); }}>
            {[...journey.versions].reverse().map((v) => <option key={v.version} value={v.version}>v{v.version}</option>)}
            <option value="draft">{t('journey.draft')}</option>
          </select>
        </label>
        <DateRangePicker />
        <div className="button-row">
          <button type="button" className="secondary" aria-expanded={backtestOpen} aria-controls="backtest-panel" data-action="backtest" onClick={() => toggle('backtest')}>{t('backtest.open')}</button>
          {journey.versions.length > 1 && (
            <button type="button" className="secondary" aria-expanded={panel === 'migrate'} aria-controls="migrate-panel" data-action="migrate" onClick={() => toggle('migrate')}>{t('migrate.open')}</button>
          )}
        </div>
      </div>
      {backtestOpen && <div id="backtest-panel"><BacktestForm version={shown} backtest={backtest} /></div>}
      {version.error ? <ErrorNote error={version.error} /> : null}
      {report.error ? <ErrorNote error={report.error} /> : null}
      {version.data && <JourneyGraph definition={version.data} counts={report.data ? counts : undefined} now={now} errors={errors} holdoutCustomers={holdout} backtest={simulated} />}
      <p className="hint">{t('journey.graphHint')}{simulated ? ` ${t('backtest.graphHint')}` : ''}</p>
      {run?.result && <BacktestSummary run={run} definition={run.request.version === shown ? version.data : undefined} />}
      {report.data && version.data && <JourneyResults report={report.data} definition={version.data} now={now} />}
      {panel === 'migrate' && (
        <div id="migrate-panel">
          <JourneyMigrate journey={journey} nowOf={nowOf} onMigrated={() => report.reload()} />
        </div>
      )}
    </section>
  );
}
