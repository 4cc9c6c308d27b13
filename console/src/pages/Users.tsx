import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../api/client';
import type { Session, User } from '../api/types';
import { useSession } from '../auth/session';
import { formatNumber, formatTime } from '../components/format';
import { ErrorNote, QueryView, Section } from '../components/states';
import { setParams, useLocation } from '../shell/router';

function sessionState(session: Session, now = Date.now()): 'revoked' | 'expired' | 'active' {
  if (session.revoked_at !== null) return 'revoked';
  if (session.expires_at <= now) return 'expired';
  return 'active';
}

function FindUser({ current }: { current: string }) {
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const id = String(new FormData(event.currentTarget).get('id') ?? '').trim();
    setParams({ id: id || undefined }, { replace: false });
  };
  return (
    <form className="inline-form" onSubmit={submit} key={current}>
      <label>
        User id
        <input name="id" defaultValue={current} placeholder="0193…" maxLength={128} autoComplete="off" spellCheck={false} />
      </label>
      <button type="submit" className="primary">
        Find
      </button>
    </form>
  );
}

function RecentUsers() {
  const query = useQuery({ queryKey: ['users', 'recent'], queryFn: ({ signal }) => api<{ users: User[] }>('/users', { query: { limit: 20 }, signal }) });
  return (
    <Section title="Recent users">
      <QueryView
        query={query}
        what="users"
        isEmpty={(data) => data.users.length === 0}
        empty="No user has a stored row yet: a guest gets one when it first needs state."
      >
        {(data) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">User</th>
                  <th scope="col">Kind</th>
                  <th scope="col">Client</th>
                  <th scope="col">Created (UTC)</th>
                  <th scope="col">Last seen (UTC)</th>
                </tr>
              </thead>
              <tbody>
                {data.users.map((user) => (
                  <tr key={user.user_id}>
                    <td>
                      <a
                        href={`/admin/users?id=${encodeURIComponent(user.user_id)}`}
                        onClick={(event) => {
                          event.preventDefault();
                          setParams({ id: user.user_id }, { replace: false });
                        }}
                      >
                        <code>{user.user_id}</code>
                      </a>
                    </td>
                    <td>{user.merged_into ? 'merged guest' : user.is_anonymous ? 'guest' : 'registered'}</td>
                    <td>{user.created_by_client ?? '—'}</td>
                    <td>{formatTime(user.created_at)}</td>
                    <td>{formatTime(user.last_seen_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
    </Section>
  );
}

function Sessions({ userId }: { userId: string }) {
  const { canWrite } = useSession();
  const queryClient = useQueryClient();
  const query = useQuery({
    queryKey: ['users', userId, 'sessions'],
    queryFn: ({ signal }) => api<{ sessions: Session[] }>(`/users/${encodeURIComponent(userId)}/sessions`, { signal }),
  });
  const revoke = useMutation({
    mutationFn: (sessionId: string) => api<Session>(`/sessions/${encodeURIComponent(sessionId)}/revoke`, { method: 'POST' }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['users', userId, 'sessions'] }),
  });
  return (
    <Section title="Sessions">
      <ErrorNote error={revoke.error} />
      <QueryView
        query={query}
        what="sessions"
        isEmpty={(data) => data.sessions.length === 0}
        empty="No stored session: a guest session that never needed state has no row, and stays valid until its token expires."
      >
        {(data) => (
          <div className="table-wrap">
            <table data-testid="sessions">
              <thead>
                <tr>
                  <th scope="col">Session</th>
                  <th scope="col">State</th>
                  <th scope="col">Client</th>
                  <th scope="col">Created (UTC)</th>
                  <th scope="col">Last refreshed (UTC)</th>
                  <th scope="col">Expires (UTC)</th>
                  <th scope="col">Network</th>
                  {canWrite && <th scope="col">Revoke</th>}
                </tr>
              </thead>
              <tbody>
                {data.sessions.map((session) => {
                  const state = sessionState(session);
                  return (
                    <tr key={session.session_id} data-session-id={session.session_id}>
                      <td>
                        <code>{session.session_id}</code>
                        {session.dpop_bound && <span className="badge">DPoP</span>}
                      </td>
                      <td>
                        <span className={`badge state-${state}`}>{state}</span>
                        {session.revoked_reason && <span className="muted"> ({session.revoked_reason.replaceAll('_', ' ')})</span>}
                      </td>
                      <td>{session.client_id}</td>
                      <td>{formatTime(session.created_at)}</td>
                      <td>{formatTime(session.last_refreshed_at)}</td>
                      <td>{formatTime(session.expires_at)}</td>
                      <td>{session.last_ip_prefix ?? '—'}</td>
                      {canWrite && (
                        <td>
                          {state === 'active' && (
                            <button
                              type="button"
                              disabled={revoke.isPending}
                              onClick={() => revoke.mutate(session.session_id)}
                              aria-label={`Revoke session ${session.session_id}`}
                            >
                              Revoke
                            </button>
                          )}
                        </td>
                      )}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
    </Section>
  );
}

/** Downloads the person's export as a file: the API answers JSON, the browser saves it. */
async function downloadExport(userId: string): Promise<void> {
  const document_ = await api<unknown>(`/users/${encodeURIComponent(userId)}/export`);
  const url = URL.createObjectURL(new Blob([JSON.stringify(document_, null, 2)], { type: 'application/json' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = `guestpass-export-${userId}.json`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function Erase({ userId }: { userId: string }) {
  const queryClient = useQueryClient();
  const [typed, setTyped] = useState('');
  const erase = useMutation({
    mutationFn: () => api<Record<string, unknown>>(`/users/${encodeURIComponent(userId)}`, { method: 'DELETE' }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['users'] }),
  });
  if (erase.isSuccess)
    return (
      <p className="notice" role="status">
        Erased {userId} and everything stored about it.
      </p>
    );
  return (
    <form
      className="danger-zone"
      onSubmit={(event) => {
        event.preventDefault();
        if (typed === userId) erase.mutate();
      }}
    >
      <h3>Erase this person</h3>
      <p>
        Deletes the account or guest, its metadata, sessions (revoked first), proofs, telemetry, alerts, and the guests merged into it. This cannot be undone.
        Type the user id to confirm.
      </p>
      <label>
        User id to confirm
        <input value={typed} onChange={(event) => setTyped(event.target.value.trim())} autoComplete="off" spellCheck={false} />
      </label>
      <button type="submit" className="danger" disabled={typed !== userId || erase.isPending}>
        Erase permanently
      </button>
      <ErrorNote error={erase.error} />
    </form>
  );
}

function UserDetail({ userId }: { userId: string }) {
  const { canWrite } = useSession();
  const [exportError, setExportError] = useState<unknown>();
  const query = useQuery({
    queryKey: ['users', userId],
    queryFn: ({ signal }) => api<User & { merged_guests?: string[]; merged_guests_count?: number }>(`/users/${encodeURIComponent(userId)}`, { signal }),
  });
  return (
    <>
      <Section
        title="User"
        actions={
          <button type="button" onClick={() => downloadExport(userId).catch(setExportError)}>
            Export (JSON)
          </button>
        }
      >
        <ErrorNote error={exportError} />
        <QueryView query={query} what="the user">
          {(user) => (
            <>
              <dl className="facts">
                <dt>User id</dt>
                <dd>
                  <code>{user.user_id}</code>
                </dd>
                <dt>Kind</dt>
                <dd data-testid="user-kind">{user.is_anonymous ? 'guest' : 'registered'}</dd>
                {user.email && (
                  <>
                    <dt>E-mail</dt>
                    <dd>
                      {user.email} {user.email_verified_at ? '(verified)' : '(not verified)'}
                    </dd>
                  </>
                )}
                <dt>Created by client</dt>
                <dd>{user.created_by_client ?? '—'}</dd>
                <dt>Created</dt>
                <dd>{formatTime(user.created_at)}</dd>
                <dt>Converted</dt>
                <dd>{formatTime(user.converted_at)}</dd>
                {user.merged_into && (
                  <>
                    <dt>Merged into</dt>
                    <dd>
                      <a
                        href={`/admin/users?id=${encodeURIComponent(user.merged_into)}`}
                        onClick={(event) => {
                          event.preventDefault();
                          setParams({ id: user.merged_into ?? undefined }, { replace: false });
                        }}
                      >
                        <code>{user.merged_into}</code>
                      </a>{' '}
                      {formatTime(user.merged_at)}
                    </dd>
                  </>
                )}
                {user.merged_guests && user.merged_guests.length > 0 && (
                  <>
                    <dt>Guests merged into it</dt>
                    <dd>
                      {user.merged_guests.map((id) => (
                        <code key={id}>{id} </code>
                      ))}
                      {(user.merged_guests_count ?? 0) > user.merged_guests.length && (
                        <span className="muted">
                          {' '}
                          (the first {user.merged_guests.length} of {formatNumber(user.merged_guests_count ?? 0)}; the export lists them all)
                        </span>
                      )}
                    </dd>
                  </>
                )}
              </dl>
              <h3>Metadata (version {user.metadata_version ?? 0})</h3>
              <pre className="evidence">{JSON.stringify(user.metadata ?? {}, null, 2)}</pre>
            </>
          )}
        </QueryView>
      </Section>
      <Sessions userId={userId} />
      {canWrite && query.data && <Erase userId={userId} />}
    </>
  );
}

export function Users() {
  const { params } = useLocation();
  const id = params.get('id') ?? '';
  return (
    <>
      <h1>Users &amp; sessions</h1>
      <FindUser current={id} />
      {id ? <UserDetail userId={id} key={id} /> : <RecentUsers />}
    </>
  );
}
