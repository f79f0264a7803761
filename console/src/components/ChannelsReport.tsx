// Per channel: conversions and revenue under the chosen model (chart), and every figure (table).
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { Chart } from './Chart';
import { CsvButton } from './CsvButton';
import { num, pct } from '../format';
import type { ChannelReport } from '../types';

export function ChannelsReport({ report, busy }: { report: ChannelReport; busy: boolean }) {
  const { t } = useTranslation();
  const names = report.channels.map((c) => t(`channels.${c.channel}`, { defaultValue: c.channel }));
  const option = useMemo(() => ({
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 56, right: 64, top: 40, bottom: 32 },
    xAxis: { type: 'category', data: names },
    yAxis: [{ type: 'value', name: t('reports.converted'), minInterval: 1 }, { type: 'value', name: t('reports.revenue') }],
    series: [
      { name: t('reports.converted'), type: 'bar', data: report.channels.map((c) => c.converted), itemStyle: { color: '#1d4ed8' } },
      { name: t('reports.revenue'), type: 'bar', yAxisIndex: 1, data: report.channels.map((c) => c.revenue), itemStyle: { color: '#b45309' } },
    ],
  }), [report, names.join('|'), t]);
  const header = ['channel', 'reached', 'sent', 'transactional', 'delivered', 'opened', 'clicked', 'converted', 'conversionRate', 'revenue', 'cost', 'costPerConversion'];
  const rows = report.channels.map((c) => [c.channel, c.reached, c.sent, c.transactional, c.delivered, c.opened, c.clicked, c.converted, c.conversionRate, c.revenue, c.cost, c.costPerConversion]);
  return (
    <div aria-busy={busy}>
      <div className="panel-head">
        <p className="muted">{t('reports.unattributed', { conversions: report.unattributed.conversions, revenue: num(report.unattributed.revenue, 2) })}</p>
        <CsvButton filename={`channels-${report.model}-${report.from.slice(0, 10)}.csv`} what={t('reports.channels')} header={header} rows={rows} />
      </div>
      {report.channels.length === 0 ? <p>{t('reports.noChannels')}</p> : <Chart option={option} label={t('reports.channelsChart')} testId="channels-chart" />}
      <div className="table-wrap">
        <table data-testid="channels-table">
          <thead>
            <tr>
              <th scope="col">{t('reports.channel')}</th><th scope="col" className="n">{t('reports.reached')}</th><th scope="col" className="n">{t('reports.sent')}</th>
              <th scope="col" className="n">{t('reports.delivered')}</th><th scope="col" className="n">{t('reports.opened')}</th><th scope="col" className="n">{t('reports.clicked')}</th>
              <th scope="col" className="n">{t('reports.converted')}</th><th scope="col" className="n">{t('reports.conversionRate')}</th><th scope="col" className="n">{t('reports.revenue')}</th>
              <th scope="col" className="n">{t('reports.cost')}</th><th scope="col" className="n">{t('reports.costPerConversion')}</th>
            </tr>
          </thead>
          <tbody>
            {report.channels.map((c, i) => (
              <tr key={c.channel}>
                <th scope="row">{names[i]}</th><td className="n">{num(c.reached)}</td><td className="n">{num(c.sent)}</td><td className="n">{num(c.delivered)}</td>
                <td className="n">{num(c.opened)}</td><td className="n">{num(c.clicked)}</td><td className="n">{num(c.converted)}</td><td className="n">{pct(c.conversionRate)}</td>
                <td className="n">{num(c.revenue, 2)}</td><td className="n">{num(c.cost, 2)}</td><td className="n">{num(c.costPerConversion, 2)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
