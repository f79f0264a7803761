// The customer's profile as facts: tier, points, counters, value scores, tags, consent,
// subscription groups, identities and merges.
import { useTranslation } from 'react-i18next';
import { dateTime, num } from '../format';
import { Link } from '../router';
import type { CustomerView, Profile } from '../types';

const scoreNames = ['r', 'f', 'm', 'value', 'attrition', 'potential'] as const;

export function CustomerFacts({ customer, profile }: { customer: CustomerView; profile: Profile }) {
  const { t } = useTranslation();
  const consent = Object.entries(profile.consent);
  return (
    <div className="facts-grid">
      <section aria-labelledby="profile-h" className="card">
        <h2 id="profile-h">{t('customer.profile')}</h2>
        <dl className="facts">
          <dt>{t('customer.stage')}</dt><dd data-testid="stage">{t(`stages.${profile.stage}`, { defaultValue: profile.stage })}</dd>
          <dt>{t('customer.tier')}</dt><dd>{profile.tier ?? '—'}</dd>
          <dt>{t('customer.points')}</dt><dd>{num(profile.points)}</dd>
          <dt>{t('customer.orders')}</dt><dd>{num(profile.counters.orders)}</dd>
          <dt>{t('customer.spend')}</dt><dd>{num(profile.counters.spend, 2)}</dd>
          <dt>{t('customer.events')}</dt><dd>{num(profile.counters.events)}</dd>
          <dt>{t('customer.firstSeen')}</dt><dd>{dateTime(profile.counters.firstSeenAt)}</dd>
          <dt>{t('customer.lastSeen')}</dt><dd>{dateTime(profile.counters.lastSeenAt)}</dd>
        </dl>
      </section>
      <section aria-labelledby="scores-h" className="card">
        <h2 id="scores-h">{t('customer.scores')}</h2>
        {profile.scores ? (
          <dl className="facts scores">
            {scoreNames.map((s) => (
              <div key={s} className="score"><dt>{t(`scores.${s}`)}</dt>
                <dd><meter min={1} max={5} value={profile.scores![s]} aria-label={t(`scores.${s}`)} /> {profile.scores![s]} / 5</dd></div>
            ))}
            <div className="score"><dt>RFM</dt><dd><code>{profile.scores.rfm}</code></dd></div>
          </dl>
        ) : <p>{t('customer.noScores')}</p>}
        <h3>{t('customer.tags')}</h3>
        {profile.tags.length ? <ul className="tags">{profile.tags.map((tag) => <li key={tag}>{tag}</li>)}</ul> : <p>{t('common.none')}</p>}
      </section>
      <section aria-labelledby="consent-h" className="card">
        <h2 id="consent-h">{t('customer.consent')}</h2>
        {consent.length ? (
          <ul className="plain">{consent.map(([channel, yes]) => <li key={channel}>{t(`channels.${channel}`, { defaultValue: channel })}: <strong>{yes ? t('customer.optedIn') : t('customer.optedOut')}</strong></li>)}</ul>
        ) : <p>{t('customer.noConsent')}</p>}
        <h3>{t('customer.subscriptions')}</h3>
        {customer.subscriptions.length ? (
          <ul className="plain">
            {customer.subscriptions.map((s) => (
              <li key={s.group}>{s.name} <span className="muted">({t(`channels.${s.channel}`, { defaultValue: s.channel })})</span>: <strong>{s.subscribed ? t('customer.subscribed') : t('customer.notSubscribed')}</strong>
                {!s.chosen && <span className="muted"> · {t('customer.byDefault')}</span>}</li>
            ))}
          </ul>
        ) : <p>{t('common.none')}</p>}
      </section>
      <section aria-labelledby="identities-h" className="card">
        <h2 id="identities-h">{t('customer.identities')}</h2>
        <ul className="plain" data-testid="identities">
          {customer.identities.map((i) => <li key={`${i.type}:${i.value}`}><span className="muted">{t(`identities.${i.type}`, { defaultValue: i.type })}</span> <code>{i.value}</code></li>)}
        </ul>
        <h3>{t('customer.merges')}</h3>
        {profile.mergedInto && <p>{t('customer.mergedInto')} <Link to={`/customers/${profile.mergedInto}`}>{profile.mergedInto}</Link></p>}
        {profile.mergedFrom.length ? (
          <ul className="plain">{profile.mergedFrom.map((m) => <li key={m}>{t('customer.mergedFrom')} <code>{m}</code></li>)}</ul>
        ) : !profile.mergedInto && <p>{t('common.none')}</p>}
      </section>
    </div>
  );
}
