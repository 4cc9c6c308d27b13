import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { apiUrl } from '../api/client';
import type { Alert } from '../api/types';

export type LiveMode = 'connecting' | 'live' | 'polling';

/**
 * A stream that sent nothing (not even its `heartbeat`, every 15 s) for this long is taken for
 * dead: a proxy may hold a connection open that no longer carries events, and EventSource
 * would never notice; the page polls until the stream speaks again.
 */
const SILENCE_MS = 40_000;

/**
 * Keeps the security page current without a reload, from GET /admin/api/alerts/stream
 * (anomaly/stream-route.ts): `ready` once connected, `alert` with the whole alert row (raised,
 * repeated or given a verdict), `block` with the whole block row (placed, or lifted with
 * `lifted_at`), `heartbeat` every 15 s. An alert row replaces the open detail at once; the
 * lists are refetched, since a change can move a row in or out of a filtered list. While the
 * stream is down the queries poll instead (their refetchInterval).
 */
export function useAlertStream(): LiveMode {
  const queryClient = useQueryClient();
  const [mode, setMode] = useState<LiveMode>('connecting');
  useEffect(() => {
    if (typeof EventSource === 'undefined') {
      setMode('polling');
      return;
    }
    const source = new EventSource(apiUrl('/alerts/stream'), { withCredentials: true });
    let heardAt = Date.now();
    const heard = () => {
      heardAt = Date.now();
      setMode('live');
    };
    source.addEventListener('ready', heard);
    source.addEventListener('heartbeat', heard);
    source.addEventListener('alert', (event) => {
      heard();
      const alert = JSON.parse(event.data) as Alert;
      // The stream's row has no evidence (the detail asked for it): keep what the detail holds.
      queryClient.setQueryData<Alert>(['alerts', 'one', alert.id], (old) => (old ? { ...old, ...alert } : old));
      void queryClient.invalidateQueries({ queryKey: ['alerts', 'list'] });
    });
    source.addEventListener('block', () => {
      heard();
      void queryClient.invalidateQueries({ queryKey: ['blocks'] });
    });
    source.onerror = () => setMode('polling');
    const watchdog = setInterval(() => {
      if (Date.now() - heardAt > SILENCE_MS) setMode('polling');
    }, SILENCE_MS / 4);
    return () => {
      clearInterval(watchdog);
      source.close();
    };
  }, [queryClient]);
  return mode;
}
