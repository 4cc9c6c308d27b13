import { useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, api, setCsrfToken, whenSessionEnds } from '../api/client';
import type { Operator, SessionAnswer } from '../api/types';

export type SessionState =
  | { status: 'loading' }
  | { status: 'signed-out'; notice?: string; problem?: string }
  | { status: 'signed-in'; operator: Operator; idleTimeoutSeconds: number };

interface SessionApi {
  state: SessionState;
  signIn(email: string, password: string, totpCode?: string): Promise<void>;
  signOut(notice?: string): Promise<void>;
  /** Reads the session again (after enabling TOTP, for instance). */
  refresh(): Promise<void>;
  canWrite: boolean;
}

const SessionContext = createContext<SessionApi | undefined>(undefined);

const ACTIVITY = ['pointerdown', 'keydown', 'wheel', 'touchstart'] as const;

/**
 * Signs out in the browser as the server does: after idle_timeout_seconds without a click or a
 * key. The server is the judge (an idle session's next request is refused); this only moves the
 * screen to sign-in instead of leaving a page whose next action would fail.
 */
function useIdleTimeout(seconds: number | undefined, onIdle: () => void): void {
  const last = useRef(Date.now());
  useEffect(() => {
    if (!seconds) return;
    last.current = Date.now();
    const touch = () => {
      last.current = Date.now();
    };
    for (const name of ACTIVITY) window.addEventListener(name, touch, { passive: true });
    const timer = window.setInterval(() => {
      if (Date.now() - last.current >= seconds * 1000) onIdle();
    }, 1000);
    return () => {
      for (const name of ACTIVITY) window.removeEventListener(name, touch);
      window.clearInterval(timer);
    };
  }, [seconds, onIdle]);
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });
  const queryClient = useQueryClient();

  const accept = useCallback((answer: SessionAnswer) => {
    setCsrfToken(answer.csrf_token);
    setState({ status: 'signed-in', operator: answer.operator, idleTimeoutSeconds: answer.idle_timeout_seconds });
  }, []);

  const ended = useCallback(
    (notice?: string) => {
      setCsrfToken(undefined);
      queryClient.clear();
      setState(notice ? { status: 'signed-out', notice } : { status: 'signed-out' });
    },
    [queryClient],
  );

  const refresh = useCallback(async () => {
    try {
      accept(await api<SessionAnswer>('/session'));
    } catch (error) {
      setCsrfToken(undefined);
      if (error instanceof ApiError && error.status === 401) setState({ status: 'signed-out' });
      else setState({ status: 'signed-out', problem: `The console could not read your session: ${error instanceof Error ? error.message : String(error)}` });
    }
  }, [accept]);

  useEffect(() => {
    whenSessionEnds((reason) => ended(`You were signed out: ${reason}`));
    void refresh();
  }, [ended, refresh]);

  const signIn = useCallback(
    async (email: string, password: string, totpCode?: string) => {
      accept(await api<SessionAnswer>('/session', { method: 'POST', body: { email, password, ...(totpCode ? { totp_code: totpCode } : {}) } }));
    },
    [accept],
  );

  const signOut = useCallback(
    async (notice?: string) => {
      await api('/session', { method: 'DELETE' }).catch(() => undefined);
      ended(notice);
    },
    [ended],
  );

  const idleSeconds = state.status === 'signed-in' ? state.idleTimeoutSeconds : undefined;
  const onIdle = useCallback(() => {
    void signOut(`You were signed out after ${Math.round((idleSeconds ?? 0) / 60)} minutes without activity.`);
  }, [signOut, idleSeconds]);
  useIdleTimeout(idleSeconds, onIdle);

  const value = useMemo<SessionApi>(
    () => ({ state, signIn, signOut, refresh, canWrite: state.status === 'signed-in' && state.operator.role === 'admin' }),
    [state, signIn, signOut, refresh],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionApi {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}
