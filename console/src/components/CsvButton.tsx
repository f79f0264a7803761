import { useTranslation } from 'react-i18next';
import { downloadCsv, type Cell } from '../csv';

/** Downloads the rows a chart or table shows, as they are shown. */
export function CsvButton({ filename, header, rows, what }: { filename: string; header: string[]; rows: Cell[][]; what: string }) {
  const { t } = useTranslation();
  return (
    <button type="button" className="secondary small" onClick={() => downloadCsv(filename, header, rows)} aria-label={t('common.csvOf', { what })}>
      {t('common.csv')}
    </button>
  );
}
