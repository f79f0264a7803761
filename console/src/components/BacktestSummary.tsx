// A backtest's result beside the graph: who was sampled and entered, sends, suppressions and exits
// by reason, conversions and revenue, each arm against the holdout, and what was assumed of opens.
import { useTranslation } from 'react-i18next';
import { CsvButton } from './CsvButton';
import { num, pct } from '../format';
import type { Backtest, JourneyDefinition } from '../types';

function ByReason({ id, title, counts, reasons }: { id: string; title: string; counts: Record<string, number>; reasons: (r: string) => string }) {
  const { t } = useTranslation();
  const rows = Object.entries(counts).sort(([, a], [, b]) => b - a);
  return (
    <section aria-labelledby={`${id}-h`}>
      <h3 id={`${id}-h`}>{title}</h3>
      <table data-testid={id}>
        <thead><tr><th scope="col">{t('journey.reason')}</th><th scope="col" className="n">{t('journey.customers')}</th></tr></thead>
        <tbody>
          {rows.map(([reason, n]) => <tr key={reason}><th scope="row">{reasons(reason)}</th><td className="n">{num(n)}</td></tr>)}
          {rows.length === 0 && <tr><td colSpan={2}>{t('common.none')}</td></tr>}
        </tbody>
      </table>
    </section>
  );
}

export function BacktestSummary({ run, definition }: { run: Backtest; definition?: JourneyDefinition }) {
  const { t } = useTranslation();
  const result = run.result;
  if (!result) return null;
  const signed = (v?: number) => (v === undefined ? '—' : `${v > 0 ? '+' : ''}${pct(v)}`);
  const channels = Object.entries(result.sends.byChannel).map(([c, n]) => `${t(`channels.${c}`, { defaultValue: c })} ${num(n)}`).join(' · ');
  return (
    <section className="backtest-summary report" aria-labelledby="backtest-summary-h" data-testid="backtest-summary">
      <h2 id="backtest-summary-h">{t('backtest.summary', { from: run.request.from.slice(0, 10), to: run.request.to.slice(0, 10) })}</h2>
      {run.status === 'cancelled' && <p className="hint">{t('backtest.partial')}</p>}
      <dl className="figures">
        <div><dt>{t('backtest.sampled')}</dt><dd data-testid="bt-sampled">{num(result.customers.sampled)}</dd></div>
        <div><dt>{t('backtest.entered')}</dt><dd data-testid="bt-entered">{num(result.customers.entered)}</dd></div>
        <div><dt>{t('backtest.sends')}</dt><dd data-testid="bt-sends">{num(result.sends.total)}</dd>{channels && <dd className="figure-detail">{channels}</dd>}</div>
        <div><dt>{t('backtest.conversions')}</dt><dd data-testid="bt-conversions">{num(result.conversions.count)}</dd></div>
        <div><dt>{t('backtest.revenue')}</dt><dd data-testid="bt-revenue">{num(result.conversions.revenue, 2)}</dd></div>
        <div><dt>{t('backtest.deferred')}</dt><dd>{num(result.deferrals.count)}</dd>{result.deferrals.count > 0 && <dd className="figure-detail">{t('backtest.deferredFor', { max: num(result.deferrals.maxMinutes) })}</dd>}</div>
      </dl>
      <p className="hint" data-testid="bt-engagement">{t('backtest.engagementNote', { rate: pct(result.engagement.assumedRate), note: result.engagement.note })}</p>
      <div className="panels">
        <section aria-labelledby="bt-funnel-h">
          <div className="panel-head"><h3 id="bt-funnel-h">{t('backtest.funnel')}</h3>
            <CsvButton filename={`${run.journeyId}-${run.id}-funnel.csv`} what={t('backtest.funnel')} header={[t('journey.step'), t('journey.type'), t('backtest.reached')]}
              rows={result.funnel.map((f) => [f.stepId, definition?.steps[f.stepId]?.type ?? '', f.reached])} /></div>
          <table data-testid="backtest-funnel">
            <thead><tr><th scope="col">{t('journey.step')}</th><th scope="col">{t('journey.type')}</th><th scope="col" className="n">{t('backtest.reached')}</th></tr></thead>
            <tbody>{result.funnel.map((f) => <tr key={f.stepId}><th scope="row">{f.stepId}</th><td>{t(`steps.${definition?.steps[f.stepId]?.type ?? 'unknown'}`)}</td><td className="n">{num(f.reached)}</td></tr>)}</tbody>
          </table>
        </section>
        <ByReason id="bt-suppressions" title={t('backtest.suppressions')} counts={result.suppressions} reasons={(r) => `${r} ${t(`reasons.${r}`, { defaultValue: '' })}`.trim()} />
        <ByReason id="bt-exits" title={t('journey.exits')} counts={result.exits} reasons={(r) => t(`exitReasons.${r}`, { defaultValue: r })} />
      </div>
      {result.variants.length > 0 && (
        <section aria-labelledby="bt-variants-h">
          <h3 id="bt-variants-h">{t('journey.variants')}</h3>
          <div className="table-wrap">
            <table data-testid="bt-variants">
              <thead><tr><th scope="col">{t('journey.variant')}</th><th scope="col" className="n">{t('backtest.entered')}</th><th scope="col" className="n">{t('journey.converted')}</th>
                <th scope="col" className="n">{t('journey.rate')}</th><th scope="col" className="n">{t('backtest.revenue')}</th><th scope="col" className="n">{t('journey.uplift')}</th></tr></thead>
              <tbody>{result.variants.map((v) => (
                <tr key={v.name}><th scope="row">{v.name === 'holdout' ? t('graph.holdout') : v.name === 'all' ? t('backtest.all') : v.name}</th><td className="n">{num(v.entered)}</td><td className="n">{num(v.converted)}</td>
                  <td className="n">{pct(v.conversionRate)}</td><td className="n">{num(v.revenue, 2)}</td><td className="n">{signed(v.uplift)}</td></tr>
              ))}</tbody>
            </table>
          </div>
        </section>
      )}
    </section>
  );
}
