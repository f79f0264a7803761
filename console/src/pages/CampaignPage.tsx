// One campaign: its schedule, its latest run's live progress (GET /v1/campaigns/:id again every
// few seconds while it runs or waits for its time) and its messages by status; cancel asks first.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { CampaignProgressBar, CampaignStatusBadge, useSchedule } from '../components/CampaignStatus';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { describeError, ErrorNote } from '../components/ErrorNote';
import { dateTime, num } from '../format';
import { useLoad } from '../load';
import { Link, usePageTitle } from '../router';
import { messageStatuses, type CampaignDetail } from '../types';

const pollMs = { running: 1000, scheduled: 5000, settling: 2000 } as const;
/** After a run ends, customers' workflows are still deciding their sends: the counts settle for a while. */
const settleMs = 30_000;

export function CampaignPage({ id }: { id: string }) {
  const { t } = useTranslation();
  const schedule = useSchedule();
  const path = `/v1/campaigns/${encodeURIComponent(id)}`;
  const campaign = useLoad(() => api<CampaignDetail>(path), [path]);
  const c = campaign.data;
  usePageTitle(c?.name ?? t('campaigns.title'));
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string>();

  // Live progress: read again while the run goes on (or the schedule waits); a finished run's figures stay.
  const status = c?.status;
  const polling = status === 'running' || status === 'scheduled';
  const finishedAt = c?.lastRun?.finishedAt;
  useEffect(() => {
    if (campaign.loading || !status) return;
    const settling = finishedAt !== undefined && Date.now() - Date.parse(finishedAt) < settleMs;
    if (!polling && !settling) return;
    const timer = setTimeout(campaign.reload, polling ? pollMs[status as 'running' | 'scheduled'] : pollMs.settling);
    return () => clearTimeout(timer);
  }, [polling, status, finishedAt, campaign.loading, c]);

  const cancel = async () => {
    setBusy(true);
    try {
      await api(`${path}/cancel`, { method: 'POST', body: {} });
      setMessage(t('campaigns.cancelled'));
      campaign.reload();
    } catch (err) { setMessage(describeError(err, t)); } finally { setBusy(false); setAsking(false); }
  };

  if (campaign.error && !c) return <section><h1 tabIndex={-1}>{id}</h1><ErrorNote error={campaign.error} /></section>;
  if (!c) return <section aria-busy="true"><h1 tabIndex={-1}>{t('common.loading')}</h1></section>;
  const run = c.lastRun;
  return (
    <section data-testid="campaign">
      <p className="crumbs"><Link to="/campaigns">{t('campaigns.title')}</Link> / {c.id}</p>
      <div className="page-head">
        <h1 tabIndex={-1}>{c.name} <CampaignStatusBadge status={c.status} /></h1>
        {polling && <button type="button" className="danger" onClick={() => setAsking(true)}>{t('campaigns.cancel')}</button>}
      </div>
      <p role="status" className="notice">{message}</p>
      {campaign.error ? <ErrorNote error={campaign.error} /> : null}
      <dl className="facts card campaign-facts">
        <dt>{t('campaigns.segment')}</dt><dd><Link to={`/segments/${encodeURIComponent(c.segmentId)}`}>{c.segmentId}</Link></dd>
        <dt>{t('campaigns.message')}</dt><dd>{t(`channels.${c.message.channel}`, { defaultValue: c.message.channel })} · <code>{c.message.template}</code>{c.message.group && <> · {c.message.group}</>}</dd>
        <dt>{t('campaigns.schedule')}</dt><dd data-testid="campaign-schedule">{schedule(c)}</dd>
        <dt>{t('campaigns.rate')}</dt><dd>{t('campaigns.perSecond', { count: c.ratePerSecond })}</dd>
      </dl>
      <section aria-labelledby="run-h">
        <h2 id="run-h">{t('campaigns.lastRun')}</h2>
        <p><CampaignProgressBar campaign={c} /> {polling && <span className="muted">{t('campaigns.live')}</span>}</p>
        {run && (
          <dl className="facts">
            <dt>{t('campaigns.occurrence')}</dt><dd>{dateTime(run.progress.occurrence)}</dd>
            <dt>{t('campaigns.started')}</dt><dd>{dateTime(run.progress.startedAt)}</dd>
            <dt>{t('campaigns.finished')}</dt><dd data-testid="campaign-finished">{run.finishedAt ? dateTime(run.finishedAt) : '—'}</dd>
            {run.error && <><dt>{t('campaigns.error')}</dt><dd className="error">{run.error}</dd></>}
          </dl>
        )}
      </section>
      <section aria-labelledby="messages-h">
        <h2 id="messages-h">{t('campaigns.messages')}</h2>
        <div className="table-wrap">
          <table data-testid="campaign-messages">
            <thead><tr>{messageStatuses.map((s) => <th key={s} scope="col" className="n">{t(`messageStatus.${s}`)}</th>)}</tr></thead>
            <tbody><tr>{messageStatuses.map((s) => <td key={s} className="n" data-status={s}>{num(c.messages[s])}</td>)}</tr></tbody>
          </table>
        </div>
        <p className="hint">{t('campaigns.messagesHint')}</p>
      </section>
      {asking && (
        <ConfirmDialog title={t('campaigns.confirmCancel', { name: c.name })} confirmLabel={t('campaigns.cancel')} busy={busy} onCancel={() => setAsking(false)} onConfirm={() => void cancel()}>
          <p>{t('campaigns.explainCancel')}</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
