// A backtest of the version drawn: the range and sample asked for, the run's progress read every
// second while it runs, and its id kept in the address (?backtest=…) so a reload shows it again.
import { useEffect, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api';
import { describeError } from './ErrorNote';
import { nextDay, num } from '../format';
import { useRange } from '../range';
import { navigate, useLocation } from '../router';
import type { Backtest } from '../types';

const pollMs = 1000;

/** The backtest shown on a journey's page: started here, or named by the address. */
export function useBacktest(journeyId: string) {
  const { path: here, query } = useLocation();
  const id = query.get('backtest');
  const base = `/v1/journeys/${encodeURIComponent(journeyId)}`;
  const [run, setRun] = useState<Backtest>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    if (!id) { setRun(undefined); return; }
    // Read now, then every second until the run is over (a cancel shown meanwhile ends it too).
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = () => api<Backtest>(`${base}/backtests/${encodeURIComponent(id)}`).then(
      (r) => { if (stop) return; setRun(r); setError(undefined); if (r.status === 'running') timer = setTimeout(() => void read(), pollMs); },
      (err: unknown) => { if (!stop) setError(err); });
    void read();
    return () => { stop = true; clearTimeout(timer); };
  }, [id, base]);
  const show = (next: Backtest) => { setRun(next); navigate(`${here}?backtest=${encodeURIComponent(next.id)}`, { replace: true }); };
  return { run: run?.id === id ? run : undefined, error, show, base };
}

type Problem = { field: string; message: string };

export function BacktestForm({ version, backtest }: { version: number | 'draft'; backtest: ReturnType<typeof useBacktest> }) {
  const { t } = useTranslation();
  const { range } = useRange();
  const [first, setFirst] = useState(range.first);
  const [last, setLast] = useState(range.last);
  const [size, setSize] = useState('');
  const [engagement, setEngagement] = useState('0');
  const [withLive, setWithLive] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [error, setError] = useState<string>();
  const { run } = backtest;
  const running = run?.status === 'running';

  const start = async () => {
    setBusy(true);
    setError(undefined);
    setProblems([]);
    try {
      const body = {
        ...(version !== 'draft' && { version }), from: `${first}T00:00:00Z`, to: `${nextDay(last)}T00:00:00Z`,
        ...(size.trim() && { sample: { size: Number(size) } }), withLiveJourneys: withLive, engagementRate: Number(engagement) / 100,
      };
      backtest.show(await api<Backtest>(`${backtest.base}/backtest`, { method: 'POST', body }));
    } catch (err) {
      if (err instanceof ApiError && err.details.length > 0) { setProblems(err.details); setError(t('backtest.refused', { count: err.details.length })); } else setError(describeError(err, t));
    } finally {
      setBusy(false);
    }
  };
  const cancel = async () => {
    if (!run) return;
    try { backtest.show(await api<Backtest>(`${backtest.base}/backtests/${run.id}/cancel`, { method: 'POST' })); } catch (err) { setError(describeError(err, t)); }
  };
  const problemOf = (field: string) => problems.filter((p) => p.field === field).map((p) => p.message).join('; ');
  const input = (name: string, label: string, control: (a: { id: string; 'aria-invalid'?: true; 'aria-describedby'?: string }) => ReactNode) => {
    const problem = problemOf(name);
    return (
      <label htmlFor={`bt-${name}`}>{label}
        {control({ id: `bt-${name}`, ...(problem && { 'aria-invalid': true, 'aria-describedby': `bt-${name}-problem` }) })}
        {problem && <span id={`bt-${name}-problem`} className="error">{problem}</span>}
      </label>
    );
  };
  const known = ['from', 'to', 'sample.size', 'engagementRate'];

  return (
    <form className="backtest-form" data-testid="backtest-form" aria-labelledby="backtest-h" onSubmit={(e) => { e.preventDefault(); void start(); }}>
      <h2 id="backtest-h">{t('backtest.title', { version: version === 'draft' ? t('journey.draft') : `v${version}` })}</h2>
      <p className="hint">{t('backtest.hint')}</p>
      <div className="backtest-fields">
        {input('from', t('backtest.from'), (a) => <input {...a} name="from" type="date" value={first} max={last} required onChange={(e) => setFirst(e.target.value)} />)}
        {input('to', t('backtest.to'), (a) => <input {...a} name="to" type="date" value={last} min={first} required onChange={(e) => setLast(e.target.value)} />)}
        {input('sample.size', t('backtest.sample'), (a) => <input {...a} name="sample" type="number" min={1} step={1} value={size} placeholder={t('backtest.everyone')} onChange={(e) => setSize(e.target.value)} />)}
        {input('engagementRate', t('backtest.engagement'), (a) => <input {...a} name="engagementRate" type="number" min={0} max={100} step={1} value={engagement} required onChange={(e) => setEngagement(e.target.value)} />)}
        <label className="inline"><input type="checkbox" name="withLiveJourneys" checked={withLive} onChange={(e) => setWithLive(e.target.checked)} /> {t('backtest.withLive')}</label>
      </div>
      <div className="button-row">
        <button type="submit" disabled={busy || running || first > last}>{t('backtest.start')}</button>
        {running && <button type="button" className="danger" onClick={() => void cancel()}>{t('backtest.cancel')}</button>}
      </div>
      {error && <div className="error-box" role="alert" data-testid="backtest-refused"><p className="error">{error}</p>
        {problems.some((p) => !known.includes(p.field)) && <ul>{problems.filter((p) => !known.includes(p.field)).map((p) => <li key={p.field + p.message}><code>{p.field}</code> {p.message}</li>)}</ul>}</div>}
      {backtest.error ? <p className="error" role="alert">{describeError(backtest.error, t)}</p> : null}
      {run && (
        <p className="progress-line" data-testid="backtest-progress" role="status">
          <span className={`badge backtest-${run.status}`}>{t(`backtest.status.${run.status}`)}</span>
          <progress max={run.progress.total ?? 1} value={run.status === 'running' ? run.progress.simulated : run.progress.total ?? 1} aria-label={t('backtest.progressLabel')} />
          <span>{t('backtest.progress', { simulated: num(run.progress.simulated), total: run.progress.total === undefined ? '?' : num(run.progress.total) })}</span>
          {run.error && <span className="error">{run.error}</span>}
        </p>
      )}
    </form>
  );
}
