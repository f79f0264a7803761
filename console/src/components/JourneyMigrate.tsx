// Moving the customers on one version of a journey to another: the two versions drawn side by side,
// and for each step of the source the step of the target its customers go to (or stay), then the
// API's answer: how many customers were signalled, or each refusal on the field it names.
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api';
import { ConfirmDialog } from './ConfirmDialog';
import { describeError, ErrorNote } from './ErrorNote';
import { JourneyGraph } from './JourneyGraph';
import { num } from '../format';
import { useLoad } from '../load';
import { defaultStepMap } from '../migration';
import type { JourneyDefinition, JourneyDetail, Migration, MigrationRequest, PublishedVersion } from '../types';

type Problem = { field: string; message: string };

export function JourneyMigrate({ journey, nowOf, onMigrated }: {
  journey: JourneyDetail; nowOf: (version: number) => Map<string, number> | undefined; onMigrated: () => void;
}) {
  const { t } = useTranslation();
  const versions = journey.versions.map((v) => v.version);
  const latest = journey.latestVersion;
  // By default: from the version before the latest to the latest.
  const [from, setFrom] = useState(versions.length > 1 ? versions[versions.length - 2]! : latest);
  const [to, setTo] = useState(latest);
  const path = `/v1/journeys/${encodeURIComponent(journey.id)}`;
  const defs = useLoad<[JourneyDefinition, JourneyDefinition]>(async () => {
    const [a, b] = await Promise.all([from, to].map((v) => api<PublishedVersion>(`${path}/versions/${v}`)));
    return [a!.definition, b!.definition];
  }, [path, from, to]);
  const [source, target] = defs.data ?? [];
  const [map, setMap] = useState<Record<string, string>>({});
  useEffect(() => { if (source && target) setMap(defaultStepMap(source, target)); }, [source, target]);
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<Migration & { from: number; to: number }>();
  const [problems, setProblems] = useState<Problem[]>([]);
  const [error, setError] = useState<string>();

  const now = useMemo(() => nowOf(from), [nowOf, from]);
  const moves = Object.entries(map).filter(([, next]) => next !== '');
  const byField = (field: string) => problems.filter((p) => p.field === field).map((p) => p.message);
  const others = problems.filter((p) => !p.field.startsWith('steps.') && !['fromVersion', 'toVersion'].includes(p.field));

  const migrate = async () => {
    setBusy(true);
    setError(undefined);
    setProblems([]);
    setAnswer(undefined);
    try {
      const body: MigrationRequest = { fromVersion: from, toVersion: to, steps: Object.fromEntries(moves) };
      const res = await api<Migration>(`${path}/migrate`, { method: 'POST', body });
      setAnswer({ ...res, from, to });
      onMigrated();
    } catch (err) {
      if (err instanceof ApiError && err.details.length > 0) { setProblems(err.details); setError(t('migrate.refused', { count: err.details.length })); } else setError(describeError(err, t));
    } finally {
      setBusy(false);
      setAsking(false);
    }
  };
  const pick = (set: (v: number) => void) => (e: { target: { value: string } }) => { set(Number(e.target.value)); setProblems([]); setAnswer(undefined); setError(undefined); };
  const versionSelect = (name: 'fromVersion' | 'toVersion', value: number, set: (v: number) => void) => (
    <label>{t(`migrate.${name}`)}{' '}
      <select name={name} value={value} onChange={pick(set)} aria-invalid={byField(name).length > 0 || undefined} aria-describedby={byField(name).length ? `${name}-problem` : undefined}>
        {[...versions].reverse().map((v) => <option key={v} value={v}>v{v}</option>)}
      </select>
      {byField(name).length > 0 && <span id={`${name}-problem`} className="error"> {byField(name).join('; ')}</span>}
    </label>
  );

  return (
    <section className="migrate" aria-labelledby="migrate-h" data-testid="migrate">
      <h2 id="migrate-h" tabIndex={-1}>{t('migrate.title')}</h2>
      <p className="hint">{t('migrate.hint')}</p>
      <div className="toolbar">
        {versionSelect('fromVersion', from, setFrom)}
        {versionSelect('toVersion', to, setTo)}
      </div>
      {from === to && <p className="error" role="alert">{t('migrate.same')}</p>}
      {defs.error ? <ErrorNote error={defs.error} /> : null}
      {source && target && (
        <>
          <div className="migrate-graphs">
            <div><h3>{t('migrate.source', { version: from })}</h3><JourneyGraph definition={source} now={now} label={t('migrate.source', { version: from })} /></div>
            <div><h3>{t('migrate.target', { version: to })}</h3><JourneyGraph definition={target} label={t('migrate.target', { version: to })} /></div>
          </div>
          <form onSubmit={(e) => { e.preventDefault(); setAsking(true); }}>
            <div className="table-wrap">
              <table data-testid="step-map">
                <caption className="visually-hidden">{t('migrate.mapCaption', { from, to })}</caption>
                <thead><tr><th scope="col">{t('migrate.sourceStep', { version: from })}</th><th scope="col">{t('journey.type')}</th><th scope="col" className="n">{t('journey.now')}</th><th scope="col">{t('migrate.goesTo', { version: to })}</th></tr></thead>
                <tbody>
                  {Object.keys(map).map((step) => {
                    const refused = byField(`steps.${step}`);
                    return (
                      <tr key={step} data-step-map={step} className={refused.length ? 'has-error' : undefined}>
                        <th scope="row">{step}</th>
                        <td>{t(`steps.${source.steps[step]?.type ?? 'unknown'}`)}</td>
                        <td className="n now">{now ? num(now.get(step) ?? 0) : '—'}</td>
                        <td>
                          <select name={`steps.${step}`} aria-label={t('migrate.mapLabel', { step, version: to })} value={map[step]}
                            aria-invalid={refused.length > 0 || undefined} aria-describedby={refused.length ? `map-${step}-problem` : undefined}
                            onChange={(e) => { setMap({ ...map, [step]: e.target.value }); setProblems([]); setError(undefined); }}>
                            <option value="">{t('migrate.stay', { version: from })}</option>
                            {Object.entries(target.steps).map(([id, s]) => <option key={id} value={id}>{id} ({t(`steps.${s.type}`)})</option>)}
                          </select>
                          {refused.length > 0 && <div id={`map-${step}-problem`} className="error">{refused.join('; ')}</div>}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
            <p className="hint">{t('migrate.stayHint', { version: from })}</p>
            <button type="submit" disabled={from === to || busy}>{t('migrate.submit', { from, to })}</button>
          </form>
        </>
      )}
      {error && <div className="error-box" role="alert" data-testid="migrate-refused"><p className="error">{error}</p>
        {others.length > 0 && <ul>{others.map((p) => <li key={p.field + p.message}><code>{p.field}</code> {p.message}</li>)}</ul>}</div>}
      <p role="status" className="notice" data-testid="migrate-answer">{answer ? t('migrate.done', { count: answer.customers, formatted: num(answer.customers), from: answer.from, to: answer.to }) : ''}</p>
      {asking && (
        <ConfirmDialog title={t('migrate.confirm', { name: journey.name, from, to })} confirmLabel={t('migrate.move')} busy={busy}
          onCancel={() => setAsking(false)} onConfirm={() => void migrate()}>
          {moves.length > 0
            ? <ul data-testid="migrate-moves">{moves.map(([a, b]) => <li key={a}><code>{a}</code> → <code>{b}</code>{now?.get(a) ? ` (${t('migrate.customersNow', { count: now.get(a), formatted: num(now.get(a)) })})` : ''}</li>)}</ul>
            : <p>{t('migrate.nothingMapped')}</p>}
          <p>{t('migrate.explain', { from, to })}</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
