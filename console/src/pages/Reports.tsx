// Reports over the chosen range: channels under an attribution model, and the lifecycle.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { DateRangePicker } from '../components/DateRangePicker';
import { ErrorNote } from '../components/ErrorNote';
import { ChannelsReport } from '../components/ChannelsReport';
import { LifecycleReportView } from '../components/LifecycleReport';
import { useLoad } from '../load';
import { useRange } from '../range';
import { usePageTitle } from '../router';
import { attributionModels, type AttributionModel, type ChannelReport, type LifecycleReport } from '../types';

export function Reports() {
  const { t } = useTranslation();
  usePageTitle(t('reports.title'));
  const { query } = useRange();
  const [model, setModel] = useState<AttributionModel>('last_touch');
  const channels = useLoad(() => api<ChannelReport>('/v1/reports/channels', { query: { ...query, model } }), [query.from, query.to, model]);
  const lifecycle = useLoad(() => api<LifecycleReport>('/v1/reports/lifecycle', { query }), [query.from, query.to]);
  return (
    <section>
      <h1 tabIndex={-1}>{t('reports.title')}</h1>
      <DateRangePicker />
      <section aria-labelledby="channels-h" className="report">
        <div className="panel-head">
          <h2 id="channels-h">{t('reports.channels')}</h2>
          <label>{t('reports.model')}{' '}
            <select value={model} onChange={(e) => setModel(e.target.value as AttributionModel)} name="model">
              {attributionModels.map((m) => <option key={m} value={m}>{t(`models.${m}`)}</option>)}
            </select>
          </label>
        </div>
        {channels.error ? <ErrorNote error={channels.error} /> : null}
        {channels.data && <ChannelsReport report={channels.data} busy={channels.loading} />}
      </section>
      <section aria-labelledby="lifecycle-h" className="report">
        <h2 id="lifecycle-h">{t('reports.lifecycle')}</h2>
        {lifecycle.error ? <ErrorNote error={lifecycle.error} /> : null}
        {lifecycle.data && <LifecycleReportView report={lifecycle.data} />}
      </section>
    </section>
  );
}
