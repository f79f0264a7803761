// Find a customer by any identity the API resolves (GET /v1/customers?<type>=<value>).
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api';
import { describeError } from '../components/ErrorNote';
import { navigate, usePageTitle } from '../router';
import type { CustomerView } from '../types';

export const identityTypes = ['email', 'phone', 'userId', 'wechat_openid', 'wechat_unionid', 'anonymousId'] as const;
type IdentityType = (typeof identityTypes)[number];

export function CustomerSearch() {
  const { t } = useTranslation();
  usePageTitle(t('customers.title'));
  const [type, setType] = useState<IdentityType>('email');
  const [value, setValue] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const search = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const view = await api<CustomerView>('/v1/customers', { query: { [type]: value.trim() } });
      navigate(`/customers/${view.customerId}`);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 404 ? t('customers.noMatch') : describeError(err, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <h1 tabIndex={-1}>{t('customers.title')}</h1>
      <form className="search" role="search" onSubmit={(e) => void search(e)}>
        <label>{t('customers.identity')}{' '}
          <select value={type} onChange={(e) => setType(e.target.value as IdentityType)} name="identity-type">
            {identityTypes.map((it) => <option key={it} value={it}>{t(`identities.${it}`)}</option>)}
          </select>
        </label>
        <label>{t('customers.value')}{' '}
          <input name="identity" type="search" value={value} required onChange={(e) => setValue(e.target.value)}
            placeholder={t(`customers.placeholder.${type}`)} aria-describedby={error ? 'search-error' : undefined} />
        </label>
        <button type="submit" disabled={busy || !value.trim()}>{t('customers.search')}</button>
      </form>
      {error && <p id="search-error" className="error" role="alert">{error}</p>}
      <p className="hint">{t('customers.hint')}</p>
    </section>
  );
}
