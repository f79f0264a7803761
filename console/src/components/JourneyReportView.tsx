// A journey's report over the range, charted: customers who entered each step (and who are at it
// now), and each variant's conversion within the window against the holdout.
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Chart } from './Chart';
import { CsvButton } from './CsvButton';
import { num, pct } from '../format';
import { placesNow } from '../report';
import type { JourneyReport } from '../types';

/** `version`: the journey's latest, whose steps the funnel lists. */
export function JourneyReportView({ report, version }: { report: JourneyReport; version?: number }) {
  const { t } = useTranslation();
  const now = useMemo(() => placesNow(report, version), [report, version]);
  const funnel = useMemo(() => ({
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 110, right: 32, top: 36, bottom: 24 },
    yAxis: { type: 'category', inverse: true, data: report.steps.map((s) => s.stepId), axisLabel: { interval: 0 } },
    xAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: t('journey.entered'), type: 'bar', data: report.steps.map((s) => s.customers), itemStyle: { color: '#1d4ed8' }, label: { show: true, position: 'right' } },
      { name: t('journey.now'), type: 'bar', data: report.steps.map((s) => now.get(s.stepId) ?? 0), itemStyle: { color: '#047857' } },
    ],
  }), [report, now, t]);
  const variantName = (v: string) => (v === 'holdout' ? t('graph.holdout') : v);
  const variants = useMemo(() => ({
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => pct(v) },
    grid: { left: 56, right: 24, top: 24, bottom: 32 },
    xAxis: { type: 'category', data: report.variants.map((v) => variantName(v.variant)) },
    yAxis: { type: 'value', axisLabel: { formatter: (v: number) => pct(v) } },
    series: [{
      name: t('journey.windowRate'), type: 'bar', data: report.variants.map((v) => ({ value: v.withinWindow.conversionRate ?? 0, itemStyle: { color: v.variant === 'holdout' ? '#92400e' : '#7c3aed' } })),
      label: { show: true, position: 'top', formatter: (p: { value: number }) => pct(p.value) },
    }],
  }), [report, t]);
  const stepRows = report.steps.map((s) => [s.stepId, s.customers, now.get(s.stepId) ?? 0]);
  return (
    <div>
      <dl className="figures">
        <div><dt>{t('journey.entered')}</dt><dd data-testid="report-entered">{num(report.entered)}</dd></div>
        <div><dt>{t('journey.inNow')}</dt><dd data-testid="report-now">{num(report.now.customers)}</dd></div>
        <div><dt>{t('journeys.goalRate')}</dt><dd>{pct(report.goalRate)}</dd></div>
        <div><dt>{t('journey.withinWindow', { window: report.conversionWindow ?? '—' })}</dt><dd>{num(report.convertedWithinWindow)} ({pct(report.windowConversionRate)})</dd></div>
      </dl>
      <div className="panels">
        <section aria-labelledby="jr-funnel-h">
          <div className="panel-head"><h3 id="jr-funnel-h">{t('journey.funnel')}</h3>
            <CsvButton filename={`${report.journeyId}-funnel-${report.from.slice(0, 10)}.csv`} what={t('reports.journeyFunnel')} header={['step', 'entered', 'now']} rows={stepRows} /></div>
          <Chart option={funnel} label={t('reports.journeyFunnelChart')} height={Math.max(220, 44 + report.steps.length * 34)} testId="journey-funnel-chart" />
        </section>
        <section aria-labelledby="jr-variants-h">
          <div className="panel-head"><h3 id="jr-variants-h">{t('journey.variants')}</h3>
            <CsvButton filename={`${report.journeyId}-variants-${report.from.slice(0, 10)}.csv`} what={t('reports.journeyVariants')}
              header={['variant', 'customers', 'withinWindow.converted', 'withinWindow.conversionRate', 'withinWindow.uplift', 'withinWindow.pValue']}
              rows={report.variants.map((v) => [v.variant, v.customers, v.withinWindow.converted, v.withinWindow.conversionRate, v.withinWindow.uplift, v.withinWindow.pValue])} /></div>
          {report.variants.length === 0 ? <p>{t('reports.noVariants')}</p> : <Chart option={variants} label={t('reports.journeyVariantsChart')} height={280} testId="journey-variants-chart" />}
        </section>
      </div>
    </div>
  );
}
