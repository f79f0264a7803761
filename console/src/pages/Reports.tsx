// Reports over the chosen range: channels under an attribution model, the lifecycle, and one journey.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { DateRangePicker } from '../components/DateRangePicker';
import { ErrorNote } from '../components/ErrorNote';
import { ChannelsReport } from '../components/ChannelsReport';
import { LifecycleReportView } from '../components/LifecycleReport';
import { JourneyReportView } from '../components/JourneyReportView';
import { useLoad } from '../load';
import { useRange } from '../range';
import { usePageTitle } from '../router';
import { attributionModels, type AttributionModel, type ChannelReport, type JourneyReport, type JourneySummary, type LifecycleReport } from '../types';

export function Reports() {
  const { t } = useTranslation();
  usePageTitle(t('reports.title'));
  const { query } = useRange();
  const [model, setModel] = useState<AttributionModel>('last_touch');
  const channels = useLoad(() => api<ChannelReport>('/v1/reports/channels', { query: { ...query, model } }), [query.from, query.to, model]);
  const lifecycle = useLoad(() => api<LifecycleReport>('/v1/reports/lifecycle', { query }), [query.from, query.to]);
  // Journeys with a published version have a report; the first is shown until another is chosen.
  const journeys = useLoad(async () => (await api<{ items: JourneySummary[] }>('/v1/journeys')).items.filter((j) => j.latestVersion > 0), []);
  const [chosen, setChosen] = useState<string>();
  const journeyId = chosen ?? journeys.data?.[0]?.id;
  const journey = useLoad(async () => (journeyId ? api<JourneyReport>(`/v1/reports/journeys/${encodeURIComponent(journeyId)}`, { query }) : undefined), [journeyId, query.from, query.to]);
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
      <section aria-labelledby="journey-report-h" className="report">
        <div className="panel-head">
          <h2 id="journey-report-h">{t('reports.journey')}</h2>
          {journeys.data && journeys.data.length > 0 && (
            <label>{t('reports.journeyPick')}{' '}
              <select value={journeyId} onChange={(e) => setChosen(e.target.value)} name="journey">
                {journeys.data.map((j) => <option key={j.id} value={j.id}>{j.name}</option>)}
              </select>
            </label>
          )}
        </div>
        {journeys.error ? <ErrorNote error={journeys.error} /> : null}
        {journey.error ? <ErrorNote error={journey.error} /> : null}
        {journeys.data?.length === 0 && <p>{t('reports.noJourneys')}</p>}
        {journey.data && <JourneyReportView report={journey.data} version={journeys.data?.find((j) => j.id === journey.data?.journeyId)?.latestVersion} />}
      </section>
    </section>
  );
}
