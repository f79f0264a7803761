// A segment's rule, edited: each change is checked by the API (POST /v1/segments/preview), which
// answers how many customers are in it now and the first of them, or names each bad field, shown
// on the condition it names. Saving creates (POST /v1/segments) or replaces (PUT) the segment.
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../api';
import { describeError, ErrorNote } from '../components/ErrorNote';
import { RuleEditor, type NodeProblems } from '../components/RuleEditor';
import { num } from '../format';
import { useLoad } from '../load';
import { Link, navigate, useLocation, usePageTitle } from '../router';
import { fromRule, newBehaviour, newGroup, newProfile, nodeOfField, toRule, type EditGroup } from '../segment-rule';
import type { Segment, SegmentPreview } from '../types';

/** How long typing may pause before the API is asked. */
const settleMs = 350;

type Checked = { preview: SegmentPreview } | { problems: { field: string; message: string }[] } | { error: unknown };

export function SegmentEditor({ id }: { id?: string }) {
  const { t } = useTranslation();
  const saved = useLoad(async () => (id ? api<Segment>(`/v1/segments/${encodeURIComponent(id)}`) : undefined), [id]);
  if (saved.error) return <section><h1 tabIndex={-1}>{id}</h1><ErrorNote error={saved.error} /></section>;
  if (id && !saved.data) return <section aria-busy="true"><h1 tabIndex={-1}>{t('common.loading')}</h1></section>;
  return <Editor key={id ?? 'new'} segment={saved.data} />;
}

function Editor({ segment }: { segment?: Segment }) {
  const { t } = useTranslation();
  usePageTitle(segment ? segment.name : t('segments.new'));
  const [name, setName] = useState(segment?.name ?? '');
  const [id, setId] = useState('');
  const [root, setRoot] = useState<EditGroup>(() => (segment ? fromRule(segment.rule) : newGroup('and', [newProfile(), newBehaviour()])));
  const [checked, setChecked] = useState<Checked>();
  const [checking, setChecking] = useState(false);
  const [saveErrors, setSaveErrors] = useState<{ field: string; message: string }[]>([]);
  const [notice, setNotice] = useState<string>();
  const [busy, setBusy] = useState(false);
  const built = useMemo(() => toRule(root), [root]);
  const body = JSON.stringify(built.rule);
  const latest = useRef(0);
  // The page's first question goes at once (the saved rule); later ones once typing settles.
  const asked = useRef(false);

  // Asked once typing settles; the latest question's answer wins.
  useEffect(() => {
    if (built.problems.size > 0) { setChecked(undefined); setChecking(false); return; }
    const ask = ++latest.current;
    setChecking(true);
    const timer = setTimeout(() => {
      api<SegmentPreview>('/v1/segments/preview', { method: 'POST', body: { rule: built.rule } }).then(
        (preview) => { if (ask === latest.current) { setChecked({ preview }); setChecking(false); } },
        (error: unknown) => {
          if (ask !== latest.current) return;
          setChecked(error instanceof ApiError && error.code === 'invalid_request' ? { problems: error.details } : { error });
          setChecking(false);
        },
      );
    }, asked.current ? settleMs : 0);
    asked.current = true;
    return () => clearTimeout(timer);
  }, [body]);

  const problems: NodeProblems = useMemo(() => {
    const byNode: NodeProblems = new Map();
    const add = (key: string, part: string, message: string) => byNode.set(key, [...(byNode.get(key) ?? []), { part, message }]);
    for (const [key, list] of built.problems) for (const p of list) add(key, p.part, t(`segments.local.${p.problem}`));
    const apiProblems = [...(checked && 'problems' in checked ? checked.problems : []), ...saveErrors];
    for (const d of apiProblems) {
      if (d.field !== 'rule' && !d.field.startsWith('rule.')) continue;
      const at = nodeOfField(d.field, built.paths);
      if (at) add(at.key, at.part, d.message);
    }
    return byNode;
  }, [built, checked, saveErrors, t]);
  const fieldError = (field: string) => saveErrors.find((d) => d.field === field)?.message;

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setSaveErrors([]);
    setNotice(undefined);
    try {
      const draft = { name: name.trim(), rule: built.rule };
      const stored = segment
        ? await api<Segment>(`/v1/segments/${encodeURIComponent(segment.id)}`, { method: 'PUT', body: draft })
        : await api<Segment>('/v1/segments', { method: 'POST', body: { ...draft, ...(id.trim() && { id: id.trim() }) } });
      if (segment) setNotice(t('segments.saved'));
      else navigate(`/segments/${encodeURIComponent(stored.id)}?created=1`, { replace: true });
    } catch (err) {
      if (err instanceof ApiError && err.code === 'invalid_request') setSaveErrors(err.details);
      else setSaveErrors([{ field: '', message: describeError(err, t) }]);
    } finally {
      setBusy(false);
    }
  };
  const created = useLocation().query.has('created');
  const general = saveErrors.filter((d) => d.field === '' || (d.field !== 'name' && d.field !== 'id' && !d.field.startsWith('rule')));
  const preview = checked && 'preview' in checked ? checked.preview : undefined;
  const canSave = built.problems.size === 0 && !(checked && 'problems' in checked) && name.trim() !== '';

  return (
    <section>
      <p className="crumbs"><Link to="/segments">{t('segments.title')}</Link> / {segment?.id ?? t('segments.new')}</p>
      <h1 tabIndex={-1}>{segment ? segment.name : t('segments.new')}</h1>
      <p role="status" className="notice">{notice ?? (created ? t('segments.created') : '')}</p>
      <form onSubmit={(e) => void save(e)} className="segment-form" noValidate>
        <div className="toolbar">
          <label>{t('segments.name')}{' '}
            <input type="text" name="name" value={name} required onChange={(e) => setName(e.target.value)}
              aria-invalid={fieldError('name') ? true : undefined} aria-describedby={fieldError('name') ? 'name-error' : undefined} />
          </label>
          {fieldError('name') && <span id="name-error" className="error">{fieldError('name')}</span>}
          {!segment && (
            <label>{t('segments.id')}{' '}
              <input type="text" name="id" value={id} spellCheck={false} placeholder={t('segments.idHint')} onChange={(e) => setId(e.target.value)}
                aria-invalid={fieldError('id') ? true : undefined} aria-describedby={fieldError('id') ? 'id-error' : undefined} />
            </label>
          )}
          {fieldError('id') && <span id="id-error" className="error">{fieldError('id')}</span>}
        </div>
        <div className="segment-layout">
          <div>
            <h2>{t('segments.rule')}</h2>
            <p className="hint">{t('segments.ruleHint')}</p>
            <RuleEditor root={root} onChange={setRoot} problems={problems} />
          </div>
          <aside aria-labelledby="preview-h" className="preview card" data-testid="segment-preview" aria-busy={checking}>
            <h2 id="preview-h">{t('segments.preview')}</h2>
            <p aria-live="polite" className="preview-count">
              {problems.size > 0 ? <span className="error" data-testid="preview-invalid">{t('segments.fixFirst', { count: [...problems.values()].flat().length })}</span>
                : preview ? <><strong data-testid="preview-count">{num(preview.count)}</strong> {t('segments.customersNow', { count: preview.count })}</>
                  : checking ? t('segments.checking') : null}
            </p>
            {checked && 'error' in checked && <ErrorNote error={checked.error} />}
            {preview && preview.sample.length > 0 && (
              <table data-testid="preview-sample">
                <caption className="visually-hidden">{t('segments.sample')}</caption>
                <thead><tr><th scope="col">{t('segments.customer')}</th><th scope="col">{t('customer.stage')}</th><th scope="col">{t('customer.tier')}</th></tr></thead>
                <tbody>{preview.sample.map((c) => (
                  <tr key={c.id}><td><Link to={`/customers/${encodeURIComponent(c.id)}`}>{c.id}</Link></td><td>{t(`stages.${c.stage}`, { defaultValue: c.stage })}</td><td>{c.tier ?? '—'}</td></tr>
                ))}</tbody>
              </table>
            )}
            {preview && preview.count > preview.sample.length && <p className="hint">{t('segments.sampleHint', { count: preview.sample.length })}</p>}
          </aside>
        </div>
        {general.map((d) => <p key={d.field + d.message} className="error" role="alert">{d.field && <code>{d.field}</code>} {d.message}</p>)}
        <div className="button-row"><button type="submit" disabled={busy || !canSave}>{segment ? t('common.save') : t('segments.create')}</button></div>
      </form>
    </section>
  );
}
