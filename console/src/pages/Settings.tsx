// Choices kept in this browser: where the Temporal UI is.
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { usePageTitle } from '../router';
import { defaultTemporalUi, settings } from '../settings';

export function Settings() {
  const { t } = useTranslation();
  usePageTitle(t('settings.title'));
  const [url, setUrl] = useState(settings.temporalUi());
  const [saved, setSaved] = useState(false);
  const save = (e: FormEvent) => { e.preventDefault(); settings.setTemporalUi(url); setUrl(settings.temporalUi()); setSaved(true); };
  return (
    <section>
      <h1 tabIndex={-1}>{t('settings.title')}</h1>
      <form onSubmit={save} className="stack">
        <label htmlFor="temporal-ui">{t('settings.temporalUi')}</label>
        <input id="temporal-ui" type="url" value={url} onChange={(e) => { setUrl(e.target.value); setSaved(false); }} aria-describedby="temporal-ui-hint" />
        <p id="temporal-ui-hint" className="hint">{t('settings.temporalUiHint', { url: defaultTemporalUi })}</p>
        <div><button type="submit">{t('common.save')}</button> {saved && <span role="status">{t('settings.saved')}</span>}</div>
      </form>
    </section>
  );
}
