// Campaigns: each broadcast with its segment, message, schedule, status and its latest run's progress.
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { CampaignProgressBar, CampaignStatusBadge, useSchedule } from '../components/CampaignStatus';
import { ErrorNote } from '../components/ErrorNote';
import { useLoad } from '../load';
import { Link, usePageTitle } from '../router';
import type { Campaign } from '../types';

export function CampaignList() {
  const { t } = useTranslation();
  usePageTitle(t('campaigns.title'));
  const schedule = useSchedule();
  const list = useLoad(() => api<{ items: Campaign[] }>('/v1/campaigns'), []);
  return (
    <section>
      <div className="page-head">
        <h1 tabIndex={-1}>{t('campaigns.title')}</h1>
        <div className="button-row">
          <button type="button" className="secondary" onClick={list.reload}>{t('campaigns.refresh')}</button>
          <Link to="/campaigns/new" className="button-link">{t('campaigns.new')}</Link>
        </div>
      </div>
      {list.error ? <ErrorNote error={list.error} /> : null}
      <div className="table-wrap">
        <table aria-busy={list.loading} data-testid="campaign-list">
          <caption className="visually-hidden">{t('campaigns.title')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('campaigns.name')}</th><th scope="col">{t('campaigns.segment')}</th><th scope="col">{t('campaigns.message')}</th>
              <th scope="col">{t('campaigns.schedule')}</th><th scope="col">{t('campaigns.status')}</th><th scope="col">{t('campaigns.lastRun')}</th>
            </tr>
          </thead>
          <tbody>
            {list.data?.items.map((c) => (
              <tr key={c.id} data-campaign={c.id}>
                <td><Link to={`/campaigns/${encodeURIComponent(c.id)}`}>{c.name}</Link> <span className="muted">{c.id}</span></td>
                <td><Link to={`/segments/${encodeURIComponent(c.segmentId)}`}>{c.segmentId}</Link></td>
                <td>{t(`channels.${c.message.channel}`, { defaultValue: c.message.channel })} · <code>{c.message.template}</code></td>
                <td>{schedule(c)}</td>
                <td><CampaignStatusBadge status={c.status} /></td>
                <td><CampaignProgressBar campaign={c} /></td>
              </tr>
            ))}
            {list.data && list.data.items.length === 0 && <tr><td colSpan={6}>{t('campaigns.none')}</td></tr>}
          </tbody>
        </table>
      </div>
      <p className="hint">{t('campaigns.hint')}</p>
    </section>
  );
}
