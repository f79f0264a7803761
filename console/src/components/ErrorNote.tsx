// An API error in the marketer's words: what went wrong and what to do about it.
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api';

export function ErrorNote({ error }: { error: unknown }) {
  const { t } = useTranslation();
  return <p className="error" role="alert">{describeError(error, t)}</p>;
}

type T = ReturnType<typeof useTranslation>['t'];

export function describeError(error: unknown, t: T): string {
  if (!(error instanceof ApiError)) return t('errors.unexpected', { message: String(error) });
  if (error.code === 'forbidden') return t('errors.forbidden', { scope: error.scope ?? '?' });
  if (error.status === 401) return t('errors.invalidKey');
  if (error.status === 404) return t('errors.notFound');
  if (error.status === 429) return t('errors.rateLimited');
  if (error.status === 0) return t('errors.network');
  if (error.status >= 500) return t('errors.server', { message: error.message });
  return error.message;
}
