// Sign-in with an admin API key: checked against the API before it is kept for this tab.
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, session } from '../api';
import { describeError } from '../components/ErrorNote';
import { usePageTitle } from '../router';

export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const { t } = useTranslation();
  usePageTitle(t('signIn.title'));
  const [key, setKey] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      // Any read the console makes would do: a key that may not read journeys is no console key.
      await api('/v1/journeys', { key: key.trim() });
      session.signIn(key.trim());
      onSignedIn();
    } catch (err) {
      if (err instanceof ApiError && err.code === 'forbidden') setError(t('signIn.notAdmin', { scope: err.scope ?? '?' }));
      else if (err instanceof ApiError && err.status === 401) setError(t('signIn.unknownKey'));
      else setError(describeError(err, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="sign-in">
      <h1 tabIndex={-1}>{t('signIn.title')}</h1>
      <p>{t('signIn.intro')}</p>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <label htmlFor="api-key">{t('signIn.keyLabel')}</label>
        <input id="api-key" name="api-key" type="password" autoComplete="off" spellCheck={false} required
          value={key} onChange={(e) => setKey(e.target.value)} aria-describedby={error ? 'sign-in-error' : 'sign-in-hint'} aria-invalid={error ? true : undefined} />
        <p id="sign-in-hint" className="hint">{t('signIn.hint')}</p>
        {error && <p id="sign-in-error" className="error" role="alert">{error}</p>}
        <button type="submit" disabled={busy || !key.trim()}>{busy ? t('common.loading') : t('signIn.submit')}</button>
      </form>
    </section>
  );
}
