// The console's frame: sign-in gate, header with navigation and language, and the page for the path.
import { lazy, Suspense, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { session } from './api';
import { languages, setLanguage, type Language } from './i18n';
import { focusNextPage, Link, match, navigate, useLocation } from './router';
import { RangeProvider } from './range';
import { SignIn } from './pages/SignIn';
import { JourneyList } from './pages/JourneyList';
import { CustomerSearch } from './pages/CustomerSearch';
import { CustomerPage } from './pages/CustomerPage';
import { Settings } from './pages/Settings';
import { SegmentList } from './pages/SegmentList';
import { SegmentEditor } from './pages/SegmentEditor';
import { CampaignList } from './pages/CampaignList';
import { CampaignPage } from './pages/CampaignPage';
import { CampaignNew } from './pages/CampaignNew';
import { NotFound } from './pages/NotFound';

// The graph library and the charts load with the pages that draw them, or once the browser is
// idle after signing in, so that moving to those pages waits only for their data.
const loadJourneyPage = () => import('./pages/JourneyPage');
const loadReports = () => import('./pages/Reports');
const JourneyPage = lazy(() => loadJourneyPage().then((m) => ({ default: m.JourneyPage })));
const Reports = lazy(() => loadReports().then((m) => ({ default: m.Reports })));
const whenIdle = (fn: () => void) => ('requestIdleCallback' in window ? requestIdleCallback(fn, { timeout: 3000 }) : setTimeout(fn, 1500));

const sections = [
  { to: '/journeys', key: 'nav.journeys' },
  { to: '/customers', key: 'nav.customers' },
  { to: '/segments', key: 'nav.segments' },
  { to: '/campaigns', key: 'nav.campaigns' },
  { to: '/reports', key: 'nav.reports' },
  { to: '/settings', key: 'nav.settings' },
] as const;

function Page({ path }: { path: string }) {
  if (path === '/' || path === '/journeys') return <JourneyList />;
  let m = match('/journeys/:id', path);
  if (m) return <JourneyPage id={m.id!} />;
  if (path === '/customers') return <CustomerSearch />;
  m = match('/customers/:id', path);
  if (m) return <CustomerPage id={m.id!} />;
  if (path === '/segments') return <SegmentList />;
  if (path === '/segments/new') return <SegmentEditor />;
  m = match('/segments/:id', path);
  if (m) return <SegmentEditor id={m.id!} />;
  if (path === '/campaigns') return <CampaignList />;
  if (path === '/campaigns/new') return <CampaignNew />;
  m = match('/campaigns/:id', path);
  if (m) return <CampaignPage id={m.id!} />;
  if (path === '/reports') return <Reports />;
  if (path === '/settings') return <Settings />;
  return <NotFound />;
}

export function App() {
  const { t, i18n } = useTranslation();
  const { path } = useLocation();
  const [signedIn, setSignedIn] = useState(() => session.key() !== null);
  useEffect(() => {
    if (signedIn) whenIdle(() => { void loadJourneyPage(); void loadReports(); });
  }, [signedIn]);
  const signOut = () => { session.signOut(); setSignedIn(false); navigate('/', { replace: true }); };

  return (
    <>
      <a className="skip-link" href="#main">{t('common.skip')}</a>
      <header className="topbar">
        <span className="brand">Closedloop</span>
        {signedIn && (
          <nav aria-label={t('nav.label')}>
            <ul>
              {sections.map((s) => {
                const current = path === s.to || path.startsWith(`${s.to}/`) || (s.to === '/journeys' && path === '/');
                return <li key={s.to}><Link to={s.to} aria-current={current ? 'page' : undefined}>{t(s.key)}</Link></li>;
              })}
            </ul>
          </nav>
        )}
        <div className="topbar-end">
          <label className="lang">
            <span>{t('common.language')}</span>
            <select value={i18n.language} onChange={(e) => setLanguage(e.target.value as Language)}>
              {languages.map((l) => <option key={l.code} value={l.code} lang={l.code}>{l.label}</option>)}
            </select>
          </label>
          {signedIn && <button type="button" className="secondary" onClick={signOut}>{t('signIn.signOut')}</button>}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {signedIn ? <RangeProvider><Suspense fallback={<p aria-busy="true">{t('common.loading')}</p>}><Page path={path} /></Suspense></RangeProvider> : <SignIn onSignedIn={() => { focusNextPage(); setSignedIn(true); }} />}
      </main>
    </>
  );
}
