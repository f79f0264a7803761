import { useTranslation } from 'react-i18next';
import { Link, usePageTitle } from '../router';

export function NotFound() {
  const { t } = useTranslation();
  usePageTitle(t('notFound.title'));
  return <section><h1 tabIndex={-1}>{t('notFound.title')}</h1><p><Link to="/journeys">{t('nav.journeys')}</Link></p></section>;
}
