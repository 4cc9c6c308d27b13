import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api/client';
import type { Alert, Block } from '../api/types';
import { useSession } from '../auth/session';
import { formatNumber, formatTime } from '../components/format';
import { ErrorNote, QueryView, Section } from '../components/states';
import { setParams, useLocation } from '../shell/router';
import { type LiveMode, useAlertStream } from './live';

const STATUSES = [
  { value: 'open', label: 'Open' },
  { value: 'acknowledged', label: 'Acknowledged' },
  { value: 'confirmed', label: 'Confirmed' },
  { value: 'false_positive', label: 'False positive' },
  { value: 'resolved', label: 'Resolved' },
  { value: '', label: 'All' },
] as const;

/** The polling interval while the live stream is not connected. */
const POLL_MS = 10_000;

const statusLabel = (status: string) => STATUSES.find((entry) => entry.value === status)?.label ?? status;

function Verdict({ alert }: { alert: Alert }) {
  const { canWrite } = useSession();
  const queryClient = useQueryClient();
  const [note, setNote] = useState('');
  const verdict = useMutation({
    mutationFn: (status: Alert['status']) =>
      api<Alert>(`/alerts/${encodeURIComponent(alert.id)}`, { method: 'PATCH', body: { status, ...(note.trim() ? { note: note.trim() } : {}) } }),
    onSuccess: () => {
      setNote('');
      void queryClient.invalidateQueries({ queryKey: ['alerts'] });
      void queryClient.invalidateQueries({ queryKey: ['blocks'] });
    },
  });
  if (!canWrite) return <p className="muted">Your role is viewer: an admin records verdicts.</p>;
  return (
    <div className="verdict">
      <label>
        Note (optional, kept with the verdict)
        <textarea value={note} maxLength={1000} rows={2} onChange={(event) => setNote(event.target.value)} />
      </label>
      <div className="actions">
        <button type="button" className="danger" disabled={verdict.isPending} onClick={() => verdict.mutate('confirmed')}>
          Confirmed
        </button>
        <button type="button" disabled={verdict.isPending} onClick={() => verdict.mutate('false_positive')}>
          False positive
        </button>
        <button type="button" disabled={verdict.isPending} onClick={() => verdict.mutate('acknowledged')}>
          Acknowledge
        </button>
      </div>
      <ErrorNote error={verdict.error} />
      {verdict.isSuccess && (
        <p className="notice" role="status">
          Recorded: {statusLabel(verdict.data.status)}.
          {verdict.data.status === 'false_positive' ? ' Its blocks are lifted and the entity is allow-listed.' : ''}
        </p>
      )}
    </div>
  );
}

function AlertDetail({ id }: { id: string }) {
  const query = useQuery({ queryKey: ['alerts', 'one', id], queryFn: ({ signal }) => api<Alert>(`/alerts/${encodeURIComponent(id)}`, { signal }) });
  return (
    <Section
      title="Alert"
      actions={
        <button type="button" onClick={() => setParams({ alert: undefined })}>
          Close
        </button>
      }
    >
      <QueryView query={query} what="the alert">
        {(alert) => (
          <div className="alert-detail">
            <dl className="facts">
              <dt>Detector</dt>
              <dd>{alert.detector}</dd>
              <dt>Severity</dt>
              <dd>
                <span className={`badge severity-${alert.severity}`}>{alert.severity}</span> (score {formatNumber(alert.score, 2)})
              </dd>
              <dt>Entity</dt>
              <dd>
                {alert.entity.kind} <code>{alert.entity.id}</code>
              </dd>
              <dt>Status</dt>
              <dd data-testid="alert-status">{statusLabel(alert.status)}</dd>
              <dt>Action taken</dt>
              <dd>{alert.action ?? 'none'}</dd>
              {alert.note && (
                <>
                  <dt>Note</dt>
                  <dd>{alert.note}</dd>
                </>
              )}
            </dl>
            <h3>Timeline (UTC)</h3>
            <ol className="timeline">
              <li>
                <time>{formatTime(alert.first_seen)}</time> first seen
              </li>
              <li>
                <time>{formatTime(alert.last_seen)}</time> last seen ({formatNumber(alert.count)} findings)
              </li>
              {alert.updated_at > alert.last_seen && (
                <li>
                  <time>{formatTime(alert.updated_at)}</time> status set to {statusLabel(alert.status)}
                </li>
              )}
              {alert.allow_until && (
                <li>
                  <time>{formatTime(alert.allow_until)}</time> allow-listed until
                </li>
              )}
            </ol>
            <h3>Evidence</h3>
            <pre className="evidence">{JSON.stringify(alert.evidence ?? {}, null, 2)}</pre>
            <Verdict alert={alert} />
          </div>
        )}
      </QueryView>
    </Section>
  );
}

function AlertList({ status, live }: { status: string; live: LiveMode }) {
  const query = useQuery({
    queryKey: ['alerts', 'list', status],
    queryFn: ({ signal }) => api<{ alerts: Alert[] }>('/alerts', { query: { status: status || undefined, limit: 100 }, signal }),
    refetchInterval: live === 'live' ? false : POLL_MS,
  });
  return (
    <QueryView query={query} what="alerts" isEmpty={(data) => data.alerts.length === 0} empty={`No ${status ? statusLabel(status).toLowerCase() : ''} alerts.`}>
      {(data) => (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Severity</th>
                <th scope="col">Detector</th>
                <th scope="col">Entity</th>
                <th scope="col">Last seen (UTC)</th>
                <th scope="col">Findings</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {data.alerts.map((alert) => (
                <tr key={alert.id} data-alert-id={alert.id}>
                  <td>
                    <span className={`badge severity-${alert.severity}`}>{alert.severity}</span>
                  </td>
                  <td>
                    <a
                      href={`/admin/security?alert=${encodeURIComponent(alert.id)}`}
                      onClick={(event) => {
                        event.preventDefault();
                        setParams({ alert: alert.id }, { replace: false });
                      }}
                    >
                      {alert.detector}
                    </a>
                  </td>
                  <td>
                    {alert.entity.kind} <code>{alert.entity.id}</code>
                  </td>
                  <td>{formatTime(alert.last_seen)}</td>
                  <td>{formatNumber(alert.count)}</td>
                  <td>{statusLabel(alert.status)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </QueryView>
  );
}

function Blocks({ live }: { live: LiveMode }) {
  const { canWrite } = useSession();
  const queryClient = useQueryClient();
  const query = useQuery({
    queryKey: ['blocks'],
    queryFn: ({ signal }) => api<{ blocks: Block[] }>('/blocks', { signal }),
    refetchInterval: live === 'live' ? false : POLL_MS,
  });
  const lift = useMutation({
    mutationFn: (id: string) => api(`/blocks/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['blocks'] }),
  });
  return (
    <Section title="Blocks in force">
      <ErrorNote error={lift.error} />
      <QueryView query={query} what="blocks" isEmpty={(data) => data.blocks.length === 0} empty="No throttle, block or quarantine is in force.">
        {(data) => (
          <div className="table-wrap">
            <table data-testid="blocks">
              <thead>
                <tr>
                  <th scope="col">Action</th>
                  <th scope="col">Entity</th>
                  <th scope="col">Detector</th>
                  <th scope="col">Since (UTC)</th>
                  <th scope="col">Until (UTC)</th>
                  {canWrite && <th scope="col">Lift</th>}
                </tr>
              </thead>
              <tbody>
                {data.blocks.map((block) => (
                  <tr key={block.id} data-block-id={block.id} data-alert-id={block.alert_id ?? ''}>
                    <td>{block.action}</td>
                    <td>
                      {block.entity.kind} <code>{block.entity.id}</code>
                    </td>
                    <td>{block.detector}</td>
                    <td>{formatTime(block.created_at)}</td>
                    <td>{formatTime(block.expires_at)}</td>
                    {canWrite && (
                      <td>
                        <button
                          type="button"
                          disabled={lift.isPending}
                          onClick={() => lift.mutate(block.id)}
                          aria-label={`Lift the ${block.action} on ${block.entity.kind} ${block.entity.id}`}
                        >
                          Lift
                        </button>
                      </td>
                    )}
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

export function Security() {
  const { params } = useLocation();
  const status = params.get('status') ?? 'open';
  const selected = params.get('alert');
  const live = useAlertStream();
  return (
    <>
      <h1>Security</h1>
      <p className="muted" role="status" data-live={live}>
        {live === 'live'
          ? 'Live: alerts and blocks update as they change.'
          : live === 'connecting'
            ? 'Connecting to the live view…'
            : `Refreshing every ${POLL_MS / 1000} s.`}
      </p>
      {selected && <AlertDetail id={selected} />}
      <Section
        title="Alerts"
        actions={
          <label>
            Status{' '}
            <select
              value={status === 'all' ? '' : status}
              onChange={(event) => setParams({ status: event.target.value === 'open' ? undefined : event.target.value || 'all' })}
            >
              {STATUSES.map((entry) => (
                <option key={entry.label} value={entry.value}>
                  {entry.label}
                </option>
              ))}
            </select>
          </label>
        }
      >
        <AlertList status={status === 'all' ? '' : status} live={live} />
      </Section>
      <Blocks live={live} />
    </>
  );
}
