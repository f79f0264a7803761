// The customer seen whole: stage on the ladder, tier, points, scores, tags, consent and
// subscriptions, identities and merges, journeys and where in them, the timeline, the workflow.
import { useTranslation } from 'react-i18next';
import { api } from '../api';
import { ErrorNote } from '../components/ErrorNote';
import { Timeline } from '../components/Timeline';
import { CustomerFacts } from '../components/CustomerFacts';
import { dateTime } from '../format';
import { useLoad } from '../load';
import { Link, usePageTitle } from '../router';
import { workflowUrl } from '../settings';
import { stages, type CustomerView } from '../types';

export function CustomerPage({ id }: { id: string }) {
  const { t } = useTranslation();
  usePageTitle(t('customer.title', { id }));
  const view = useLoad(() => api<CustomerView>(`/v1/customers/${encodeURIComponent(id)}`), [id]);
  if (view.error) return <section><h1 tabIndex={-1}>{id}</h1><ErrorNote error={view.error} /></section>;
  const c = view.data;
  if (!c) return <section aria-busy="true"><h1 tabIndex={-1}>{t('common.loading')}</h1></section>;
  // The workflow's live state while it runs; the stored profile otherwise.
  const profile = c.workflow.live ?? c.profile;
  const name = typeof profile?.traits.name === 'string' ? profile.traits.name : undefined;
  return (
    <section className="customer" data-testid="customer-360">
      <p className="crumbs"><Link to="/customers">{t('customers.title')}</Link> / {c.customerId}</p>
      <div className="page-head">
        <h1 tabIndex={-1}>{name ?? c.customerId} {name && <span className="muted">{c.customerId}</span>}</h1>
        <p className="workflow">
          {t('customer.workflow')}: <span className="badge">{t(`workflowStatus.${c.workflow.status}`, { defaultValue: c.workflow.status })}</span>{' '}
          <a href={workflowUrl(c.workflow.workflowId)} target="_blank" rel="noopener noreferrer">{t('customer.openInTemporal')}<span className="visually-hidden"> ({t('common.newTab')})</span></a>
        </p>
      </div>
      {profile ? (
        <>
          <section aria-labelledby="ladder-h">
            <h2 id="ladder-h" className="visually-hidden">{t('customer.stage')}</h2>
            <ol className="ladder" aria-label={t('customer.stage')}>
              {stages.map((s) => <li key={s} aria-current={s === profile.stage ? 'step' : undefined} className={s === profile.stage ? 'current' : ''}>{t(`stages.${s}`)}</li>)}
            </ol>
          </section>
          <CustomerFacts customer={c} profile={profile} />
        </>
      ) : <p>{t('customer.noProfile')}</p>}
      <section aria-labelledby="journeys-h">
        <h2 id="journeys-h">{t('customer.journeys')}</h2>
        {c.journeys.length === 0 ? <p>{t('customer.inNoJourney')}</p> : (
          <div className="table-wrap">
            <table data-testid="customer-journeys">
              <thead><tr><th scope="col">{t('customer.journey')}</th><th scope="col">{t('journey.version')}</th><th scope="col">{t('journey.step')}</th><th scope="col">{t('customer.since')}</th><th scope="col">{t('customer.nextWake')}</th><th scope="col">{t('journey.variant')}</th></tr></thead>
              <tbody>
                {c.journeys.map((j) => (
                  <tr key={j.journeyId}>
                    <th scope="row"><Link to={`/journeys/${encodeURIComponent(j.journeyId)}`}>{j.journeyId}</Link>{j.paused && <> <span className="badge status-paused">{t('status.paused')}</span></>}</th>
                    <td>v{j.version}</td><td><code>{j.stepId}</code></td><td>{dateTime(j.since)}</td>
                    <td>{j.nextWakeAt ? dateTime(j.nextWakeAt) : t('customer.waitingForEvent')}</td><td>{j.variant ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <Timeline customerId={c.customerId} />
    </section>
  );
}
