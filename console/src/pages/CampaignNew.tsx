// A new campaign: a saved segment, a template of a channel, and when: now, once at a time, or on a
// cron schedule (POST /v1/campaigns). It asks first; a refusal shows each field's problem by it.
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { describeError, ErrorNote } from '../components/ErrorNote';
import { useLoad } from '../load';
import { Link, navigate, usePageTitle } from '../router';
import type { Campaign, Segment } from '../types';

const channels = ['email', 'sms', 'wechat', 'push', 'webhook'] as const;
type When = 'now' | 'at' | 'cron';

export function CampaignNew() {
  const { t } = useTranslation();
  usePageTitle(t('campaigns.new'));
  const segments = useLoad(() => api<{ items: Segment[] }>('/v1/segments'), []);
  const templates = useLoad(() => api<{ templates: { id: string; channel: string }[] }>('/v1/templates'), []);
  const [form, setForm] = useState({ name: '', id: '', segmentId: '', channel: 'sms', template: '', rate: '50', when: 'now' as When, at: '', cron: '0 10 * * 1' });
  const [problems, setProblems] = useState<{ field: string; message: string }[]>([]);
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<typeof form>) => setForm((f) => ({ ...f, ...patch }));
  const segmentId = form.segmentId || segments.data?.items[0]?.id || '';
  const ofChannel = templates.data?.templates.filter((x) => x.channel === form.channel) ?? [];
  const template = ofChannel.some((x) => x.id === form.template) ? form.template : ofChannel[0]?.id ?? '';
  const problem = (field: string) => problems.filter((p) => p.field === field || p.field.startsWith(`${field}.`)).map((p) => p.message).join('; ');
  const described = (field: string) => (problem(field) ? { 'aria-invalid': true as const, 'aria-describedby': `${field}-problem` } : {});
  const note = (field: string) => problem(field) && <span id={`${field}-problem`} className="error">{problem(field)}</span>;

  const create = async () => {
    setBusy(true);
    setProblems([]);
    try {
      const body = {
        name: form.name.trim(), segmentId, message: { channel: form.channel, template }, ratePerSecond: Number(form.rate),
        ...(form.id.trim() && { id: form.id.trim() }),
        ...(form.when === 'at' && { at: form.at ? new Date(form.at).toISOString() : '' }),
        ...(form.when === 'cron' && { cron: form.cron.trim() }),
      };
      const campaign = await api<Campaign>('/v1/campaigns', { method: 'POST', body });
      navigate(`/campaigns/${encodeURIComponent(campaign.id)}`);
    } catch (err) {
      setProblems(err instanceof ApiError && err.code === 'invalid_request' ? err.details : [{ field: '', message: describeError(err, t) }]);
    } finally {
      setBusy(false);
      setAsking(false);
    }
  };
  const submit = (e: FormEvent) => { e.preventDefault(); setAsking(true); };
  const known = ['name', 'id', 'segmentId', 'message', 'ratePerSecond', 'at', 'cron'];
  const others = problems.filter((p) => !known.some((k) => p.field === k || p.field.startsWith(`${k}.`)));

  return (
    <section>
      <p className="crumbs"><Link to="/campaigns">{t('campaigns.title')}</Link> / {t('campaigns.new')}</p>
      <h1 tabIndex={-1}>{t('campaigns.new')}</h1>
      {segments.error ? <ErrorNote error={segments.error} /> : null}
      {templates.error ? <ErrorNote error={templates.error} /> : null}
      <form className="stack campaign-form" onSubmit={submit} noValidate data-testid="campaign-form">
        <label>{t('campaigns.name')} <input type="text" name="name" value={form.name} required onChange={(e) => set({ name: e.target.value })} {...described('name')} /></label>{note('name')}
        <label>{t('segments.id')} <input type="text" name="id" value={form.id} placeholder={t('segments.idHint')} spellCheck={false} onChange={(e) => set({ id: e.target.value })} {...described('id')} /></label>{note('id')}
        <label>{t('campaigns.segment')}{' '}
          <select name="segmentId" value={segmentId} onChange={(e) => set({ segmentId: e.target.value })} {...described('segmentId')}>
            {segments.data?.items.map((s) => <option key={s.id} value={s.id}>{s.name} ({s.id})</option>)}
          </select>
        </label>{note('segmentId')}
        {segments.data?.items.length === 0 && <p className="hint"><Link to="/segments/new">{t('campaigns.needSegment')}</Link></p>}
        <label>{t('campaigns.channel')}{' '}
          <select name="channel" value={form.channel} onChange={(e) => set({ channel: e.target.value })}>
            {channels.map((c) => <option key={c} value={c}>{t(`channels.${c}`)}</option>)}
          </select>
        </label>
        <label>{t('campaigns.template')}{' '}
          <select name="template" value={template} onChange={(e) => set({ template: e.target.value })} {...described('message')}>
            {ofChannel.map((x) => <option key={x.id} value={x.id}>{x.id}</option>)}
          </select>
        </label>{note('message')}
        <label>{t('campaigns.ratePerSecond')} <input type="number" name="ratePerSecond" min={1} max={500} value={form.rate} onChange={(e) => set({ rate: e.target.value })} {...described('ratePerSecond')} /></label>{note('ratePerSecond')}
        <fieldset>
          <legend>{t('campaigns.when')}</legend>
          <div className="radios">
            {(['now', 'at', 'cron'] as const).map((w) => (
              <label key={w} className="inline"><input type="radio" name="when" value={w} checked={form.when === w} onChange={() => set({ when: w })} /> {t(`campaigns.whenOptions.${w}`)}</label>
            ))}
          </div>
          {form.when === 'at' && <label>{t('campaigns.at')} <input type="datetime-local" name="at" value={form.at} onChange={(e) => set({ at: e.target.value })} {...described('at')} /></label>}
          {form.when === 'cron' && <label>{t('campaigns.cronLabel')} <input type="text" name="cron" value={form.cron} spellCheck={false} onChange={(e) => set({ cron: e.target.value })} {...described('cron')} /></label>}
          {note('at')}{note('cron')}
          {form.when === 'cron' && <p className="hint">{t('campaigns.cronHint')}</p>}
        </fieldset>
        {others.map((p) => <p key={p.field + p.message} className="error" role="alert">{p.field && <code>{p.field}</code>} {p.message}</p>)}
        {problems.length > 0 && <p className="error" role="alert">{t('campaigns.refused', { count: problems.length })}</p>}
        <div><button type="submit" disabled={busy || !form.name.trim() || !segmentId || !template}>{t('campaigns.create')}</button></div>
      </form>
      {asking && (
        <ConfirmDialog title={t('campaigns.confirmCreate', { name: form.name.trim() })} confirmLabel={t('campaigns.create')} busy={busy} onCancel={() => setAsking(false)} onConfirm={() => void create()}>
          <p>{t(`campaigns.explainCreate.${form.when}`, { segment: segmentId })}</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
