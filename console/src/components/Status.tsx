import { useTranslation } from 'react-i18next';
import type { JourneyStatus } from '../types';

export function StatusBadge({ status }: { status: JourneyStatus }) {
  const { t } = useTranslation();
  return <span className={`badge status-${status}`}>{t(`status.${status}`)}</span>;
}
