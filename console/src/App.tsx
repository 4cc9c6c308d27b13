import { useEffect } from 'react';
import { SignIn } from './auth/SignIn';
import { useSession } from './auth/session';
import { Loading } from './components/states';
import { Account } from './pages/Account';
import { Analytics } from './pages/Analytics';
import { Clients } from './pages/Clients';
import { Lifecycle } from './pages/Lifecycle';
import { Overview } from './pages/Overview';
import { Security } from './pages/Security';
import { Users } from './pages/Users';
import { Layout, PAGES } from './shell/Layout';
import { navigate, useLocation } from './shell/router';

const VIEWS: Record<string, () => React.JSX.Element | null> = {
  overview: Overview,
  analytics: Analytics,
  security: Security,
  users: Users,
  clients: Clients,
  lifecycle: Lifecycle,
  account: Account,
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
        <View />
      ) : (
        <p className="empty">
          There is no console page at /admin/{page}. <a href="/admin/overview">Go to the overview.</a>
        </p>
      )}
    </Layout>
  );
}
