// Publish, pause (hold or exit), resume, archive: each asks first, then calls the API and reports back.
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api';
import { describeError } from './ErrorNote';
import { ConfirmDialog } from './ConfirmDialog';
import type { JourneyDetail } from '../types';

export type Action = 'publish' | 'pause' | 'resume' | 'archive';

/** What the journey's status allows (the API answers 409 `invalid_transition` otherwise). */
export function allowed(status: JourneyDetail['status']): Action[] {
  switch (status) {
    case 'draft': return ['publish', 'archive'];
    case 'active': return ['publish', 'pause', 'archive'];
    case 'paused': return ['publish', 'resume', 'archive'];
    case 'archived': return [];
  }
}

export function JourneyActions({ journey, onDone, onInvalid }: {
  journey: JourneyDetail; onDone: (message: string) => void; onInvalid: (details: { field: string; message: string }[]) => void;
}) {
  const { t } = useTranslation();
  const [asking, setAsking] = useState<Action>();
  const [onPause, setOnPause] = useState<'hold' | 'exit'>(journey.onPause);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const run = async (action: Action) => {
    setBusy(true);
    setError(undefined);
    try {
      const path = `/v1/journeys/${encodeURIComponent(journey.id)}/${action}`;
      await api(path, { method: 'POST', body: action === 'pause' ? { onPause } : {} });
      onInvalid([]);
      onDone(t(`actions.done.${action}`));
    } catch (err) {
      if (err instanceof ApiError && err.code === 'invalid_journey') { onInvalid(err.details); setError(t('actions.invalid', { count: err.details.length })); } else setError(describeError(err, t));
    } finally {
      setBusy(false);
      setAsking(undefined);
    }
  };

  return (
    <div className="journey-actions">
      <div role="group" aria-label={t('actions.label')} className="button-row">
        {allowed(journey.status).map((a) => (
          <button key={a} type="button" className={a === 'archive' ? 'danger' : a === 'publish' ? '' : 'secondary'} onClick={() => setAsking(a)}>{t(`actions.${a}`)}</button>
        ))}
      </div>
      {error && <p className="error" role="alert">{error}</p>}
      {asking && (
        <ConfirmDialog title={t(`actions.confirm.${asking}`, { name: journey.name })} confirmLabel={t(`actions.${asking}`)} busy={busy}
          onCancel={() => setAsking(undefined)} onConfirm={() => void run(asking)}>
          <p>{t(`actions.explain.${asking}`)}</p>
          {asking === 'pause' && (
            <fieldset>
              <legend>{t('actions.onPause')}</legend>
              <label><input type="radio" name="onPause" value="hold" checked={onPause === 'hold'} onChange={() => setOnPause('hold')} /> {t('actions.hold')}</label>
              <label><input type="radio" name="onPause" value="exit" checked={onPause === 'exit'} onChange={() => setOnPause('exit')} /> {t('actions.exit')}</label>
            </fieldset>
          )}
        </ConfirmDialog>
      )}
    </div>
  );
}
