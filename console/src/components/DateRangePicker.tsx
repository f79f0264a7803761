// The report range: two dates (both included) and the usual presets.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { isoDay } from '../format';
import { useRange } from '../range';

const presets = [7, 30, 90] as const;

export function DateRangePicker() {
  const { t } = useTranslation();
  const { range, setRange } = useRange();
  const [draft, setDraft] = useState(range);
  const valid = draft.first <= draft.last;
  return (
    <form className="range" aria-label={t('range.label')} onSubmit={(e) => { e.preventDefault(); if (valid) setRange(draft); }}>
      <label>{t('range.from')} <input type="date" value={draft.first} max={draft.last} required onChange={(e) => setDraft({ ...draft, first: e.target.value })} /></label>
      <label>{t('range.to')} <input type="date" value={draft.last} min={draft.first} required onChange={(e) => setDraft({ ...draft, last: e.target.value })} /></label>
      <button type="submit" disabled={!valid}>{t('range.apply')}</button>
      <span className="presets" role="group" aria-label={t('range.presets')}>
        {presets.map((days) => (
          <button key={days} type="button" className="secondary" onClick={() => { const r = { first: isoDay(1 - days), last: isoDay(0) }; setDraft(r); setRange(r); }}>
            {t('range.lastDays', { count: days })}
          </button>
        ))}
      </span>
    </form>
  );
}
