import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api/client';
import type { CullReport, WebhookEndpoint, WebhookMessage } from '../api/types';
import { useSession } from '../auth/session';
import { formatNumber, formatTime } from '../components/format';
import { ErrorNote, QueryView, Section } from '../components/states';
import { setParams, useLocation } from '../shell/router';

function CullReportView({ report }: { report: CullReport }) {
  const clients = Object.entries(report.by_client);
  return (
    <div data-testid={report.dry_run ? 'cull-preview' : 'cull-result'}>
      <p>
        {report.dry_run ? 'A run now would delete' : 'Deleted'} <strong>{formatNumber(report.users)}</strong> stale guests and{' '}
        <strong>{formatNumber(report.sessions)}</strong> of their sessions
        {report.complete ? '' : ' (more remain: the run stops after a bounded number of batches)'}; purged {formatNumber(report.purged.sessions)} expired
        sessions, {formatNumber(report.purged.revocations)} revocations and {formatNumber(report.purged.email_proofs)} e-mail proofs.
      </p>
      {report.users > 0 && (
        <p className="muted">
          Last seen between {formatTime(report.oldest_last_seen_at)} and {formatTime(report.newest_last_seen_at)}.
        </p>
      )}
      {clients.length > 0 && (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Client</th>
                <th scope="col">Guests</th>
                <th scope="col">Oldest last seen (UTC)</th>
              </tr>
            </thead>
            <tbody>
              {clients.map(([clientId, entry]) => (
                <tr key={clientId}>
                  <td>{clientId}</td>
                  <td>{formatNumber(entry.users)}</td>
                  <td>{formatTime(entry.oldest_last_seen_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function Cull() {
  const { canWrite } = useSession();
  const [confirming, setConfirming] = useState(false);
  const cull = useMutation({ mutationFn: (dryRun: boolean) => api<CullReport>('/guests/cull', { method: 'POST', body: { dry_run: dryRun } }) });
  return (
    <Section title="Guest cull">
      <p className="muted">
        Deletes guests inactive past their client’s retention that have no live session, in bounded batches. The server also runs it on its schedule. Preview
        first.
      </p>
      <div className="actions">
        <button type="button" disabled={cull.isPending || !canWrite} onClick={() => cull.mutate(true)}>
          Preview
        </button>
        {canWrite &&
          (confirming ? (
            <>
              <button
                type="button"
                className="danger"
                disabled={cull.isPending}
                onClick={() => {
                  setConfirming(false);
                  cull.mutate(false);
                }}
              >
                Delete them now
              </button>
              <button type="button" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </>
          ) : (
            <button type="button" disabled={cull.isPending} onClick={() => setConfirming(true)}>
              Run the cull…
            </button>
          ))}
      </div>
      {!canWrite && <p className="muted">A preview runs the cull’s queries as an admin action: your role is viewer.</p>}
      <ErrorNote error={cull.error} />
      {cull.data && <CullReportView report={cull.data} />}
    </Section>
  );
}

function Messages({ endpoint }: { endpoint: WebhookEndpoint }) {
  const { canWrite } = useSession();
  const queryClient = useQueryClient();
  const query = useQuery({
    queryKey: ['webhooks', endpoint.id, 'messages'],
    queryFn: ({ signal }) => api<{ messages: WebhookMessage[] }>(`/webhooks/${encodeURIComponent(endpoint.id)}/messages`, { query: { limit: 50 }, signal }),
    refetchInterval: 15_000,
  });
  const retry = useMutation({
    mutationFn: (messageId: string) =>
      api<WebhookMessage>(`/webhooks/${encodeURIComponent(endpoint.id)}/messages/${encodeURIComponent(messageId)}/retry`, { method: 'POST' }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['webhooks', endpoint.id, 'messages'] }),
  });
  return (
    <Section
      title={`Delivery log: ${endpoint.url}`}
      actions={
        <button type="button" onClick={() => setParams({ webhook: undefined })}>
          Close
        </button>
      }
    >
      <ErrorNote error={retry.error} />
      <QueryView query={query} what="deliveries" isEmpty={(data) => data.messages.length === 0} empty="No message for this endpoint yet.">
        {(data) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Event</th>
                  <th scope="col">Status</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Last answer</th>
                  <th scope="col">Created (UTC)</th>
                  <th scope="col">Next attempt (UTC)</th>
                  {canWrite && <th scope="col">Retry</th>}
                </tr>
              </thead>
              <tbody>
                {data.messages.map((message) => {
                  const last = message.attempts?.[message.attempts.length - 1];
                  return (
                    <tr key={message.id}>
                      <td>{message.type}</td>
                      <td>
                        <span className={`badge state-${message.status}`}>{message.status}</span>
                      </td>
                      <td>{formatNumber(message.attempt_count)}</td>
                      <td>{last ? (last.response_status ?? last.error ?? last.outcome) : '—'}</td>
                      <td>{formatTime(message.created_at)}</td>
                      <td>{formatTime(message.next_attempt_at)}</td>
                      {canWrite && (
                        <td>
                          {message.status !== 'pending' && (
                            <button type="button" disabled={retry.isPending} onClick={() => retry.mutate(message.id)}>
                              Retry
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

function Webhooks() {
  const { params } = useLocation();
  const selected = params.get('webhook');
  const query = useQuery({ queryKey: ['webhooks'], queryFn: ({ signal }) => api<{ endpoints: WebhookEndpoint[] }>('/webhooks', { signal }) });
  const endpoints = query.data?.endpoints;
  const open = endpoints?.find((endpoint) => endpoint.id === selected);
  return (
    <>
      {open && <Messages endpoint={open} key={open.id} />}
      <Section title="Webhook endpoints">
        <QueryView
          query={{ ...query, data: endpoints }}
          what="webhook endpoints"
          isEmpty={(data) => data.length === 0}
          empty="No webhook endpoint: add one with POST /admin/api/webhooks or `guestpass webhooks add`."
        >
          {(data) => (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">URL</th>
                    <th scope="col">Events</th>
                    <th scope="col">State</th>
                    <th scope="col">Failing since (UTC)</th>
                  </tr>
                </thead>
                <tbody>
                  {data.map((endpoint) => (
                    <tr key={endpoint.id}>
                      <td>
                        <a
                          href={`/admin/lifecycle?webhook=${encodeURIComponent(endpoint.id)}`}
                          onClick={(event) => {
                            event.preventDefault();
                            setParams({ webhook: endpoint.id }, { replace: false });
                          }}
                        >
                          {endpoint.url}
                        </a>
                        {endpoint.description && <span className="muted"> {endpoint.description}</span>}
                      </td>
                      <td>{endpoint.event_types?.join(', ') ?? 'all'}</td>
                      <td>{endpoint.enabled ? 'enabled' : `disabled${endpoint.disabled_reason ? ` (${endpoint.disabled_reason})` : ''}`}</td>
                      <td>{formatTime(endpoint.failing_since)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </QueryView>
      </Section>
    </>
  );
}

export function Lifecycle() {
  return (
    <>
      <h1>Lifecycle &amp; webhooks</h1>
      <Cull />
      <Webhooks />
    </>
  );
}
