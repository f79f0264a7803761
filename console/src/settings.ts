// Choices kept in this browser: the Temporal UI's address (for the link to a customer's workflow).
const temporalUiItem = 'closedloop.temporalUi';
export const defaultTemporalUi = 'http://127.0.0.1:8233';

export const settings = {
  temporalUi: (): string => localStorage.getItem(temporalUiItem) || defaultTemporalUi,
  setTemporalUi: (url: string): void => {
    let clean = url.trim();
    while (clean.endsWith('/')) clean = clean.slice(0, -1);
    if (clean) localStorage.setItem(temporalUiItem, clean); else localStorage.removeItem(temporalUiItem);
  },
};

/** The customer's workflow in the Temporal UI. */
export function workflowUrl(workflowId: string, namespace = 'default'): string {
  return `${settings.temporalUi()}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
