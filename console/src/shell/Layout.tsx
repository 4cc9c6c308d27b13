import type { ReactNode } from 'react';
import { useSession } from '../auth/session';
import { navigate } from './router';

export const PAGES = [
  { page: 'overview', title: 'Overview' },
  { page: 'analytics', title: 'Analytics' },
  { page: 'security', title: 'Security' },
  { page: 'users', title: 'Users & sessions' },
  { page: 'clients', title: 'Clients' },
  { page: 'lifecycle', title: 'Lifecycle & webhooks' },
  { page: 'account', title: 'Your account' },
] as const;

export type PageName = (typeof PAGES)[number]['page'];

/** The frame of every signed-in page: skip link, navigation (links, so keyboard and middle-click work), the operator. */
export function Layout({ current, children }: { current: string; children: ReactNode }) {
  const { state, signOut } = useSession();
  const operator = state.status === 'signed-in' ? state.operator : undefined;
  return (
    <div className="layout">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Guestpass</span>
        <nav aria-label="Console pages">
          <ul>
            {PAGES.map(({ page, title }) => (
              <li key={page}>
                <a
                  href={`/admin/${page}`}
                  aria-current={current === page ? 'page' : undefined}
                  onClick={(event) => {
                    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
                    event.preventDefault();
                    navigate(page);
                  }}
                >
                  {title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          {operator && (
            <span className="role" title={`Operator ${operator.id}`}>
              {operator.email ?? 'operator'} · {operator.role}
            </span>
          )}
          <button
            type="button"
            onClick={() => {
              // A chosen sign-out starts the next sign-in at the overview; an idle one (session.tsx)
              // keeps the page, so the operator goes on where they were. The address changes once
              // signed out: before, the app would take /admin/ for "go to the overview" and load it.
              void signOut('You signed out.').then(() => navigate('', { replace: true }));
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
