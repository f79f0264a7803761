// A campaign's status and schedule in the marketer's words.
import { useTranslation } from 'react-i18next';
import { dateTime, num } from '../format';
import type { Campaign } from '../types';

export function CampaignStatusBadge({ status }: { status: Campaign['status'] }) {
  const { t } = useTranslation();
  return <span className={`badge campaign-${status}`}>{t(`campaignStatus.${status}`)}</span>;
}

export function useSchedule(): (c: Campaign) => string {
  const { t } = useTranslation();
  return (c) => {
    if (!c.schedule) return t('campaigns.sentNow', { at: dateTime(c.createdAt) });
    if ('at' in c.schedule) return t('campaigns.once', { at: dateTime(c.schedule.at) });
    return t('campaigns.cron', { cron: c.schedule.cron, zone: c.schedule.timeZone });
  };
}

/** "120 of 500 customers signalled", as a bar. */
export function CampaignProgressBar({ campaign }: { campaign: Campaign }) {
  const { t } = useTranslation();
  const p = campaign.lastRun?.progress;
  if (!p) return <span className="muted">{t('campaigns.notRunYet')}</span>;
  const label = t('campaigns.progress', { signalled: num(p.signalled), targeted: num(p.targeted) });
  return (
    <span className="progress-line">
      <progress max={Math.max(p.targeted, 1)} value={p.targeted === 0 ? (p.done ? 1 : 0) : p.signalled} aria-label={label} />
      <span data-testid="campaign-progress">{label}</span>
    </span>
  );
}
