// Customers per stage (bars) and the moves between stages in the range (a Sankey chart: stages
// on the left are where customers came from, on the right where they went, so loops draw too).
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Chart } from './Chart';
import { CsvButton } from './CsvButton';
import type { LifecycleReport } from '../types';

export function LifecycleReportView({ report }: { report: LifecycleReport }) {
  const { t } = useTranslation();
  const stage = (s: string) => t(`stages.${s}`, { defaultValue: s });
  const bars = useMemo(() => ({
    tooltip: { trigger: 'axis' },
    grid: { left: 56, right: 24, top: 24, bottom: 32 },
    xAxis: { type: 'category', data: report.stages.map((s) => stage(s.stage)), axisLabel: { interval: 0, hideOverlap: false } },
    yAxis: { type: 'value', minInterval: 1 },
    series: [{ name: t('reports.customers'), type: 'bar', data: report.stages.map((s) => s.customers), itemStyle: { color: '#047857' }, label: { show: true, position: 'top' } }],
  }), [report, t]);
  const sankey = useMemo(() => {
    const used = new Set(report.moves.flatMap((m) => [`from:${m.from}`, `to:${m.to}`]));
    return {
      tooltip: { trigger: 'item' },
      series: [{
        type: 'sankey', left: 8, right: 96, top: 8, bottom: 8, nodeAlign: 'justify', emphasis: { focus: 'adjacency' },
        data: [...used].map((name) => ({ name, label: { formatter: stage(name.slice(name.indexOf(':') + 1)) } })),
        links: report.moves.map((m) => ({ source: `from:${m.from}`, target: `to:${m.to}`, value: m.moves })),
        lineStyle: { color: 'gradient', opacity: 0.45 },
        label: { color: '#111827' },
        tooltip: { formatter: (p: { dataType?: string; data: { source?: string; target?: string; value?: number; name?: string } }) =>
          p.dataType === 'edge' ? `${stage(p.data.source!.slice(5))} → ${stage(p.data.target!.slice(3))}: ${p.data.value}` : stage(String(p.data.name).replace(/^(from|to):/, '')) },
      }],
    };
  }, [report, t]);
  return (
    <div className="panels">
      <section aria-labelledby="stages-h">
        <div className="panel-head"><h3 id="stages-h">{t('reports.stages')}</h3>
          <CsvButton filename={`lifecycle-stages-${report.from.slice(0, 10)}.csv`} what={t('reports.stages')} header={['stage', 'customers']} rows={report.stages.map((s) => [s.stage, s.customers])} /></div>
        <Chart option={bars} label={t('reports.stagesChart')} height={280} testId="stages-chart" />
      </section>
      <section aria-labelledby="moves-h">
        <div className="panel-head"><h3 id="moves-h">{t('reports.moves')}</h3>
          <CsvButton filename={`lifecycle-moves-${report.from.slice(0, 10)}.csv`} what={t('reports.moves')} header={['from', 'to', 'moves']} rows={report.moves.map((m) => [m.from, m.to, m.moves])} /></div>
        {report.moves.length === 0 ? <p>{t('reports.noMoves')}</p> : <Chart option={sankey} label={t('reports.movesChart')} height={280} testId="moves-chart" />}
      </section>
    </div>
  );
}
