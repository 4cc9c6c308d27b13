import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../api/client';
import type { Client } from '../api/types';
import { useSession } from '../auth/session';
import { formatTime } from '../components/format';
import { ErrorNote, QueryView, Section } from '../components/states';
import { setParams, useLocation } from '../shell/router';
import { checkGuestSettings } from './guest-settings';

const lines = (text: string) =>
  text
    .split(/[\n,]/)
    .map((line) => line.trim())
    .filter(Boolean);

/** A secret the server will not show again: selectable, with the sentence that says so. */
function SecretOnce({ secret, what }: { secret: string; what: string }) {
  return (
    <div className="secret" role="status">
      <p>
        <strong>{what}</strong> Copy it now: it is stored hashed and will not be shown again.
      </p>
      <input readOnly value={secret} aria-label="Client secret" data-testid="client-secret" onFocus={(event) => event.currentTarget.select()} />
    </div>
  );
}

function CreateClient() {
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: (body: Record<string, unknown>) => api<Client>('/clients', { method: 'POST', body }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['clients'] }),
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const type = form.get('type') === 'confidential' ? 'confidential' : 'public';
    const grants = form.getAll('grant_types').map(String);
    create.mutate({
      name: String(form.get('name') ?? '').trim(),
      type,
      allowed_origins: lines(String(form.get('allowed_origins') ?? '')),
      ...(grants.length > 0 ? { grant_types: grants } : {}),
      ...(lines(String(form.get('scopes') ?? '')).length > 0 ? { scopes: lines(String(form.get('scopes') ?? '')) } : {}),
    });
  };
  return (
    <Section title="Create a client">
      <form className="stack" onSubmit={submit}>
        <label>
          Name
          <input name="name" required maxLength={200} />
        </label>
        <fieldset>
          <legend>Type</legend>
          <label className="inline">
            <input type="radio" name="type" value="public" defaultChecked /> Public (a browser or mobile app; no secret)
          </label>
          <label className="inline">
            <input type="radio" name="type" value="confidential" /> Confidential (a server; gets a secret)
          </label>
        </fieldset>
        <fieldset>
          <legend>Grant types besides guest sessions</legend>
          <label className="inline">
            <input type="checkbox" name="grant_types" value="client_credentials" /> client_credentials
          </label>
          <label className="inline">
            <input type="checkbox" name="grant_types" value="refresh_token" /> refresh_token
          </label>
          <label className="inline">
            <input type="checkbox" name="grant_types" value="urn:ietf:params:oauth:grant-type:device_code" /> device code (TVs, consoles, CLIs: RFC 8628)
          </label>
        </fieldset>
        <label>
          Allowed origins (one per line, e.g. https://shop.example)
          <textarea name="allowed_origins" rows={2} />
        </label>
        <label>
          Scopes (one per line; empty for the defaults)
          <textarea name="scopes" rows={2} />
        </label>
        <button type="submit" className="primary" disabled={create.isPending}>
          Create client
        </button>
      </form>
      <ErrorNote error={create.error} />
      {create.data && (
        <div className="created" data-testid="created-client">
          <p>
            Created <strong>{create.data.name}</strong> with client_id <code data-testid="created-client-id">{create.data.client_id}</code>.
          </p>
          {create.data.client_secret && <SecretOnce secret={create.data.client_secret} what="This is the client secret." />}
        </div>
      )}
    </Section>
  );
}

function GuestSettingsEditor({ client }: { client: Client }) {
  const queryClient = useQueryClient();
  const [text, setText] = useState(() => JSON.stringify(client.guest, null, 2));
  const checked = checkGuestSettings(text);
  const save = useMutation({
    mutationFn: (guest: Record<string, unknown>) => api<Client>(`/clients/${encodeURIComponent(client.client_id)}`, { method: 'PATCH', body: { guest } }),
    onSuccess: (updated) => {
      setText(JSON.stringify(updated.guest, null, 2));
      void queryClient.invalidateQueries({ queryKey: ['clients'] });
    },
  });
  return (
    <form
      className="stack"
      onSubmit={(event) => {
        event.preventDefault();
        if (checked.ok) save.mutate(checked.value);
      }}
    >
      <label>
        Guest settings (JSON)
        <textarea className="code" rows={14} value={text} spellCheck={false} onChange={(event) => setText(event.target.value)} aria-invalid={!checked.ok} />
      </label>
      {!checked.ok && (
        <ul className="error" role="alert">
          {checked.problems.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      )}
      <ErrorNote error={save.error} />
      {save.isSuccess && (
        <p className="notice" role="status">
          Saved.
        </p>
      )}
      <button type="submit" className="primary" disabled={!checked.ok || save.isPending}>
        Save guest settings
      </button>
    </form>
  );
}

function OriginsEditor({ client }: { client: Client }) {
  const queryClient = useQueryClient();
  const [text, setText] = useState(client.allowed_origins.join('\n'));
  const save = useMutation({
    mutationFn: () => api<Client>(`/clients/${encodeURIComponent(client.client_id)}`, { method: 'PATCH', body: { allowed_origins: lines(text) } }),
    onSuccess: (updated) => {
      setText(updated.allowed_origins.join('\n'));
      void queryClient.invalidateQueries({ queryKey: ['clients'] });
    },
  });
  return (
    <form
      className="stack"
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate();
      }}
    >
      <label>
        Allowed origins (one per line)
        <textarea rows={3} value={text} onChange={(event) => setText(event.target.value)} />
      </label>
      <ErrorNote error={save.error} />
      {save.isSuccess && (
        <p className="notice" role="status">
          Saved.
        </p>
      )}
      <button type="submit" disabled={save.isPending}>
        Save origins
      </button>
    </form>
  );
}

function RotateSecret({ client }: { client: Client }) {
  const rotate = useMutation({
    mutationFn: () =>
      api<{ client_secret: string; old_secrets_expire_at: number }>(`/clients/${encodeURIComponent(client.client_id)}/rotate-secret`, {
        method: 'POST',
        body: { overlap_seconds: 86400 },
      }),
  });
  return (
    <div className="stack">
      <p className="muted">A new secret works at once; the old ones keep working for a day so that servers can be updated.</p>
      <button type="button" disabled={rotate.isPending} onClick={() => rotate.mutate()}>
        Rotate secret
      </button>
      <ErrorNote error={rotate.error} />
      {rotate.data && (
        <SecretOnce secret={rotate.data.client_secret} what={`New secret; the old ones stop working at ${formatTime(rotate.data.old_secrets_expire_at)}.`} />
      )}
    </div>
  );
}

function ClientDetail({ id }: { id: string }) {
  const { canWrite } = useSession();
  const query = useQuery({ queryKey: ['clients', id], queryFn: ({ signal }) => api<Client>(`/clients/${encodeURIComponent(id)}`, { signal }) });
  return (
    <Section
      title="Client"
      actions={
        <button type="button" onClick={() => setParams({ client: undefined })}>
          Close
        </button>
      }
    >
      <QueryView query={query} what="the client">
        {(client) => (
          // No key from updated_at: a save or a refetch would remount the editors below and lose
          // their "Saved." and a rotated secret shown once. Each editor takes the server's answer.
          <div>
            <dl className="facts">
              <dt>Name</dt>
              <dd>{client.name}</dd>
              <dt>client_id</dt>
              <dd>
                <code>{client.client_id}</code>
              </dd>
              <dt>Type</dt>
              <dd>
                {client.type}
                {client.is_admin ? ' (admin)' : ''}
              </dd>
              <dt>Grants</dt>
              <dd>{client.grant_types.join(', ') || '—'}</dd>
              <dt>Scopes</dt>
              <dd>{client.scopes.join(' ') || '—'}</dd>
              <dt>Secrets</dt>
              <dd>
                {client.type === 'public'
                  ? 'none (public client)'
                  : (client.secrets ?? [])
                      .map(
                        (secret) =>
                          `${secret.id} (created ${formatTime(secret.created_at)}${secret.expires_at ? `, expires ${formatTime(secret.expires_at)}` : ''})`,
                      )
                      .join('; ')}
              </dd>
            </dl>
            {canWrite ? (
              <div className="grid">
                <GuestSettingsEditor client={client} />
                <div>
                  <OriginsEditor client={client} />
                  {client.type === 'confidential' && <RotateSecret client={client} />}
                </div>
              </div>
            ) : (
              <pre className="evidence">{JSON.stringify(client.guest, null, 2)}</pre>
            )}
          </div>
        )}
      </QueryView>
    </Section>
  );
}

export function Clients() {
  const { canWrite } = useSession();
  const { params } = useLocation();
  const selected = params.get('client');
  const query = useQuery({ queryKey: ['clients'], queryFn: ({ signal }) => api<{ clients: Client[] }>('/clients', { signal }) });
  return (
    <>
      <h1>Clients</h1>
      {selected && <ClientDetail id={selected} key={selected} />}
      <Section title="Registered clients">
        <QueryView
          query={query}
          what="clients"
          isEmpty={(data) => data.clients.length === 0}
          empty="No client yet: create one below or with `guestpass clients create`."
        >
          {(data) => (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">client_id</th>
                    <th scope="col">Type</th>
                    <th scope="col">Origins</th>
                    <th scope="col">Updated (UTC)</th>
                  </tr>
                </thead>
                <tbody>
                  {data.clients.map((client) => (
                    <tr key={client.client_id}>
                      <td>
                        <a
                          href={`/admin/clients?client=${encodeURIComponent(client.client_id)}`}
                          onClick={(event) => {
                            event.preventDefault();
                            setParams({ client: client.client_id }, { replace: false });
                          }}
                        >
                          {client.name}
                        </a>
                      </td>
                      <td>
                        <code>{client.client_id}</code>
                      </td>
                      <td>{client.type}</td>
                      <td>{client.allowed_origins.join(', ') || '—'}</td>
                      <td>{formatTime(client.updated_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </QueryView>
      </Section>
      {canWrite && <CreateClient />}
    </>
  );
}
