// The journey report beside the graph: the funnel as a table, exits by reason, variants vs holdout.
import { useTranslation } from 'react-i18next';
import { CsvButton } from './CsvButton';
import { duration, num, pct } from '../format';
import type { JourneyDefinition, JourneyReport } from '../types';

export function JourneyResults({ report, definition, now }: { report: JourneyReport; definition: JourneyDefinition; now?: Map<string, number> }) {
  const { t } = useTranslation();
  const p = (v: number | null) => (v === null ? '—' : v < 0.001 ? '< 0.001' : v.toFixed(3));
  const signed = (v: number | null) => (v === null ? '—' : `${v > 0 ? '+' : ''}${pct(v)}`);
  const funnel = report.steps.map((s) => [s.stepId, definition.steps[s.stepId]?.type ?? '', s.customers, now?.get(s.stepId) ?? 0]);
  return (
    <div className="results">
      <dl className="figures">
        <div><dt>{t('journey.entered')}</dt><dd data-testid="entered">{num(report.entered)}</dd></div>
        <div><dt>{t('journey.inNow')}</dt><dd data-testid="in-now">{num(report.now.customers)}</dd></div>
        <div><dt>{t('journeys.goalRate')}</dt><dd>{pct(report.goalRate)}</dd></div>
        <div><dt>{t('journey.exitedOnGoal')}</dt><dd>{num(report.exitedOnGoal)}</dd></div>
        <div><dt>{t('journey.withinWindow', { window: duration(report.conversionWindow) })}</dt><dd>{num(report.convertedWithinWindow)} ({pct(report.windowConversionRate)})</dd></div>
      </dl>
      <div className="panels">
        <section aria-labelledby="funnel-h">
          <div className="panel-head"><h2 id="funnel-h">{t('journey.funnel')}</h2>
            <CsvButton filename={`${report.journeyId}-funnel.csv`} what={t('journey.funnel')} header={[t('journey.step'), t('journey.type'), t('journey.entered'), t('journey.now')]} rows={funnel} /></div>
          <table data-testid="funnel">
            <thead><tr><th scope="col">{t('journey.step')}</th><th scope="col">{t('journey.type')}</th><th scope="col" className="n">{t('journey.entered')}</th><th scope="col" className="n">{t('journey.now')}</th></tr></thead>
            <tbody>{report.steps.map((s) => <tr key={s.stepId}><th scope="row">{s.stepId}</th><td>{t(`steps.${definition.steps[s.stepId]?.type ?? 'unknown'}`)}</td><td className="n">{num(s.customers)}</td><td className="n now">{now ? num(now.get(s.stepId) ?? 0) : '—'}</td></tr>)}</tbody>
          </table>
        </section>
        <section aria-labelledby="exits-h">
          <div className="panel-head"><h2 id="exits-h">{t('journey.exits')}</h2>
            <CsvButton filename={`${report.journeyId}-exits.csv`} what={t('journey.exits')} header={[t('journey.reason'), t('journey.customers')]} rows={report.exited.map((e) => [e.reason, e.customers])} /></div>
          <table data-testid="exits">
            <thead><tr><th scope="col">{t('journey.reason')}</th><th scope="col" className="n">{t('journey.customers')}</th></tr></thead>
            <tbody>
              {report.exited.map((e) => <tr key={e.reason}><th scope="row">{t(`exitReasons.${e.reason}`, { defaultValue: e.reason })}</th><td className="n">{num(e.customers)}</td></tr>)}
              {report.exited.length === 0 && <tr><td colSpan={2}>{t('common.none')}</td></tr>}
            </tbody>
          </table>
        </section>
      </div>
      {report.variants.length > 0 && (
        <section aria-labelledby="variants-h">
          <div className="panel-head"><h2 id="variants-h">{t('journey.variants')}</h2>
            <CsvButton filename={`${report.journeyId}-variants.csv`} what={t('journey.variants')}
              header={['variant', 'customers', 'converted', 'conversionRate', 'uplift', 'pValue', 'significant', 'withinWindow.converted', 'withinWindow.conversionRate', 'withinWindow.uplift', 'withinWindow.pValue']}
              rows={report.variants.map((v) => [v.variant, v.customers, v.converted, v.conversionRate, v.uplift, v.pValue, v.significant, v.withinWindow.converted, v.withinWindow.conversionRate, v.withinWindow.uplift, v.withinWindow.pValue])} /></div>
          <div className="table-wrap">
            <table data-testid="variants">
              <thead>
                <tr><th scope="col">{t('journey.variant')}</th><th scope="col" className="n">{t('journey.customers')}</th><th scope="col" className="n">{t('journey.converted')}</th>
                  <th scope="col" className="n">{t('journey.rate')}</th><th scope="col" className="n">{t('journey.uplift')}</th><th scope="col" className="n">p</th>
                  <th scope="col" className="n">{t('journey.windowRate')}</th><th scope="col" className="n">{t('journey.windowUplift')}</th><th scope="col">{t('journey.significant')}</th></tr>
              </thead>
              <tbody>
                {report.variants.map((v) => (
                  <tr key={v.variant}>
                    <th scope="row">{v.variant === 'holdout' ? t('graph.holdout') : v.variant}</th><td className="n">{num(v.customers)}</td><td className="n">{num(v.converted)}</td>
                    <td className="n">{pct(v.conversionRate)}</td><td className="n">{signed(v.uplift)}</td><td className="n">{p(v.pValue)}</td>
                    <td className="n">{pct(v.withinWindow.conversionRate)}</td><td className="n">{signed(v.withinWindow.uplift)}</td>
                    <td>{v.withinWindow.significant === null ? '—' : v.withinWindow.significant ? t('common.yes') : t('common.no')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </div>
  );
}
