import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { apiUrl } from '../api/client';

/** Event names the alerts stream may send; any of them means the lists changed. */
const STREAM_EVENTS = ['message', 'alert', 'alert.raised', 'alert.updated', 'verdict', 'block', 'block.placed', 'block.lifted'];

export type LiveMode = 'connecting' | 'live' | 'polling';

/**
 * Keeps the security page current without a reload: server-sent events from
 * /admin/api/alerts/stream refetch the alerts and blocks as they change; while the stream is
 * down (or the server has none) the queries poll instead (their refetchInterval).
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
    const changed = () => {
      void queryClient.invalidateQueries({ queryKey: ['alerts'] });
      void queryClient.invalidateQueries({ queryKey: ['blocks'] });
    };
    source.onopen = () => setMode('live');
    source.onerror = () => setMode('polling');
    for (const name of STREAM_EVENTS) source.addEventListener(name, changed);
    return () => source.close();
  }, [queryClient]);
  return mode;
}
