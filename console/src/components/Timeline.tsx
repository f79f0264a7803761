// The customer's events and messages, newest first, a page at a time.
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { ErrorNote } from './ErrorNote';
import { dateTime } from '../format';
import type { Timeline as TimelinePage, TimelineItem } from '../types';

const pageSize = 20;

export function Timeline({ customerId }: { customerId: string }) {
  const { t } = useTranslation();
  const [items, setItems] = useState<TimelineItem[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const load = async (from?: string) => {
    setBusy(true);
    try {
      const page = await api<TimelinePage>(`/v1/customers/${encodeURIComponent(customerId)}/timeline`, { query: { limit: pageSize, cursor: from } });
      setItems((old) => (from ? [...old, ...page.items] : page.items));
      setCursor(page.nextCursor);
      setError(undefined);
    } catch (err) { setError(err); } finally { setBusy(false); }
  };
  useEffect(() => { setItems([]); void load(); }, [customerId]);

  return (
    <section aria-labelledby="timeline-h">
      <h2 id="timeline-h">{t('timeline.title')}</h2>
      {error ? <ErrorNote error={error} /> : null}
      <div className="table-wrap">
        <table data-testid="timeline" aria-busy={busy}>
          <thead><tr><th scope="col">{t('timeline.when')}</th><th scope="col">{t('timeline.what')}</th><th scope="col">{t('timeline.detail')}</th><th scope="col">{t('timeline.status')}</th></tr></thead>
          <tbody>
            {items.map((item) => item.type === 'event' ? (
              <tr key={item.id}>
                <td>{dateTime(item.timestamp)}</td>
                <td><span className="badge kind-event">{t('timeline.event')}</span> {item.name ?? item.kind}</td>
                <td className="props">{summary(item.properties)}{item.channel && <span className="muted"> · {item.channel}</span>}</td>
                <td>{item.setAside ? <span className="badge status-failed">{t('timeline.setAside', { reason: item.setAside.reason })}</span> : t('timeline.applied')}</td>
              </tr>
            ) : (
              <tr key={item.id}>
                <td>{dateTime(item.timestamp)}</td>
                <td><span className="badge kind-message">{t('timeline.message')}</span> {item.template}</td>
                <td>{t(`channels.${item.channel}`, { defaultValue: item.channel })}{item.journeyId && <span className="muted"> · {item.journeyId}/{item.stepId}</span>}{item.campaignId && <span className="muted"> · {item.campaignId}</span>}{item.priority === 'transactional' && <span className="muted"> · {t('timeline.transactional')}</span>}</td>
                <td><span className={`badge msg-${item.status}`}>{t(`messageStatus.${item.status}`, { defaultValue: item.status })}</span>{item.reason && <> {t(`reasons.${item.reason}`, { defaultValue: item.reason })}</>}</td>
              </tr>
            ))}
            {!busy && items.length === 0 && !error && <tr><td colSpan={4}>{t('timeline.empty')}</td></tr>}
          </tbody>
        </table>
      </div>
      {cursor && <button type="button" className="secondary" disabled={busy} onClick={() => void load(cursor)}>{t('timeline.older')}</button>}
    </section>
  );
}

function summary(props: Record<string, unknown>): string {
  return Object.entries(props).filter(([k]) => k !== 'channel').slice(0, 4).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(', ');
}
