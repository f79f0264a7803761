// A modal question before a change customers will feel (publish, pause, archive): the browser's
// <dialog> keeps focus inside it and Escape cancels.
import { useEffect, useRef, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

export function ConfirmDialog({ title, children, confirmLabel, onConfirm, onCancel, busy }: {
  title: string; children?: ReactNode; confirmLabel: string; onConfirm: () => void; onCancel: () => void; busy?: boolean;
}) {
  const { t } = useTranslation();
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog ref={ref} aria-labelledby="confirm-title" onCancel={(e) => { e.preventDefault(); onCancel(); }}>
      <form method="dialog" onSubmit={(e) => { e.preventDefault(); onConfirm(); }}>
        <h2 id="confirm-title">{title}</h2>
        {children}
        <div className="actions">
          <button type="button" className="secondary" onClick={onCancel}>{t('common.cancel')}</button>
          <button type="submit" disabled={busy}>{confirmLabel}</button>
        </div>
      </form>
    </dialog>
  );
}
