import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../api/client';
import { useSession } from '../auth/session';
import { ErrorNote, Section } from '../components/states';

/** The operator's own second factor: enrol (secret and otpauth URI, confirmed by a code) or remove. */
function Totp({ enabled }: { enabled: boolean }) {
  const { refresh } = useSession();
  const [code, setCode] = useState('');
  const start = useMutation({ mutationFn: () => api<{ secret: string; otpauth_uri: string }>('/session/totp', { method: 'POST' }) });
  const confirm = useMutation({
    mutationFn: () => api('/session/totp/confirm', { method: 'POST', body: { code } }),
    onSuccess: async () => {
      setCode('');
      start.reset();
      await refresh();
    },
  });
  const remove = useMutation({
    mutationFn: () => api('/session/totp', { method: 'DELETE', body: { code } }),
    onSuccess: async () => {
      setCode('');
      await refresh();
    },
  });
  const codeField = (
    <label>
      Code from your authenticator app
      <input
        inputMode="numeric"
        pattern="[0-9]{6}"
        required
        autoComplete="one-time-code"
        value={code}
        onChange={(event) => setCode(event.target.value.trim())}
      />
    </label>
  );
  const submit = (action: () => void) => (event: FormEvent) => {
    event.preventDefault();
    action();
  };

  if (enabled)
    return (
      <form className="stack" onSubmit={submit(() => remove.mutate())}>
        <p>A second factor protects your sign-in. To remove it, enter a current code.</p>
        {codeField}
        <ErrorNote error={remove.error} />
        <button type="submit" className="danger" disabled={remove.isPending}>
          Remove the second factor
        </button>
      </form>
    );
  if (!start.data)
    return (
      <div className="stack">
        <p>Sign-in asks for your password only. Add a time-based code (TOTP) from an authenticator app.</p>
        <ErrorNote error={start.error} />
        <button type="button" className="primary" disabled={start.isPending} onClick={() => start.mutate()}>
          Set up a second factor
        </button>
      </div>
    );
  return (
    <form className="stack" onSubmit={submit(() => confirm.mutate())}>
      <p>Add this key to your authenticator app (or open the otpauth link on a phone that has one), then enter the code it shows.</p>
      <p>
        Key: <code className="secret-text">{start.data.secret}</code>
      </p>
      <p>
        <a href={start.data.otpauth_uri}>Open in an authenticator app</a>
      </p>
      {codeField}
      <ErrorNote error={confirm.error} />
      <button type="submit" className="primary" disabled={confirm.isPending}>
        Confirm
      </button>
    </form>
  );
}

export function Account() {
  const { state } = useSession();
  if (state.status !== 'signed-in') return null;
  return (
    <>
      <h1>Your account</h1>
      <Section title="Operator">
        <dl className="facts">
          <dt>Operator id</dt>
          <dd>
            <code>{state.operator.id}</code>
          </dd>
          <dt>Role</dt>
          <dd>{state.operator.role === 'admin' ? 'admin (reads and changes)' : 'viewer (reads only)'}</dd>
          <dt>Signed out after</dt>
          <dd>{Math.round(state.idleTimeoutSeconds / 60)} minutes without activity</dd>
        </dl>
      </Section>
      <Section title="Second factor (TOTP)">
        <Totp enabled={state.operator.totp_enabled} />
      </Section>
    </>
  );
}
