// One ECharts chart: only the chart types and parts the console draws are bundled; its built-in
// Chinese and English texts follow the console's language.
import { useEffect, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import * as echarts from 'echarts/core';
import { BarChart, SankeyChart } from 'echarts/charts';
import { AriaComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import type { EChartsCoreOption } from 'echarts/core';

echarts.use([BarChart, SankeyChart, AriaComponent, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export function Chart({ option, label, height = 320, testId }: { option: EChartsCoreOption; label: string; height?: number; testId?: string }) {
  const { i18n } = useTranslation();
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | undefined>(undefined);

  useEffect(() => {
    if (!el.current) return;
    const c = echarts.init(el.current, undefined, { locale: i18n.language.startsWith('zh') ? 'ZH' : 'EN', renderer: 'canvas' });
    chart.current = c;
    const resize = new ResizeObserver(() => c.resize());
    resize.observe(el.current);
    return () => { resize.disconnect(); c.dispose(); chart.current = undefined; };
  }, [i18n.language]);

  useEffect(() => {
    chart.current?.setOption({ aria: { enabled: true, label: { description: label } }, animationDuration: 300, ...option }, { notMerge: true });
  }, [option, label, i18n.language]);

  return <div ref={el} className="chart" style={{ height }} role="img" aria-label={label} data-testid={testId} />;
}
