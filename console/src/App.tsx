import { type ComponentType, lazy, Suspense, useEffect } from 'react';
import { SignIn } from './auth/SignIn';
import { useSession } from './auth/session';
import { Loading } from './components/states';
import { Layout, PAGES } from './shell/Layout';
import { navigate, useLocation } from './shell/router';

/**
 * Each page is its own chunk, fetched when first opened: the sign-in form needs none of them
 * (nor uPlot, which only the chart pages import), so a first visit loads React and the shell
 * only. Vite preloads a chunk's imports with it.
 */
const VIEWS: Record<string, ComponentType> = {
  overview: lazy(() => import('./pages/Overview').then((module) => ({ default: module.Overview }))),
  analytics: lazy(() => import('./pages/Analytics').then((module) => ({ default: module.Analytics }))),
  security: lazy(() => import('./pages/Security').then((module) => ({ default: module.Security }))),
  users: lazy(() => import('./pages/Users').then((module) => ({ default: module.Users }))),
  clients: lazy(() => import('./pages/Clients').then((module) => ({ default: module.Clients }))),
  lifecycle: lazy(() => import('./pages/Lifecycle').then((module) => ({ default: module.Lifecycle }))),
  account: lazy(() => import('./pages/Account').then((module) => ({ default: module.Account }))),
};

export function App() {
  const { state } = useSession();
  const { page } = useLocation();

  useEffect(() => {
    if (state.status === 'signed-in' && (page === '' || page === 'sign-in')) navigate('overview', { replace: true });
  }, [state.status, page]);

  useEffect(() => {
    const title = PAGES.find((entry) => entry.page === page)?.title;
    document.title = state.status === 'signed-in' && title ? `${title} · Guestpass console` : 'Guestpass console';
  }, [page, state.status]);

  if (state.status === 'loading') return <Loading what="the console" />;
  if (state.status === 'signed-out') return <SignIn notice={state.notice} problem={state.problem} />;
  const View = VIEWS[page];
  return (
    <Layout current={page}>
      {View ? (
        <Suspense fallback={<Loading what="the page" />}>
          <View />
        </Suspense>
      ) : (
        <p className="empty">
          There is no console page at /admin/{page}. <a href="/admin/overview">Go to the overview.</a>
        </p>
      )}
    </Layout>
  );
}
