import { type FormEvent, useState } from 'react';
import { ApiError } from '../api/client';
import { useSession } from './session';

/** E-mail and password; the TOTP field appears when the server answers mfa_required. */
export function SignIn({ notice, problem }: { notice?: string | undefined; problem?: string | undefined }) {
  const { signIn } = useSession();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [needsTotp, setNeedsTotp] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signIn(email, password, needsTotp ? totp : undefined);
    } catch (failure) {
      if (failure instanceof ApiError && failure.code === 'mfa_required') {
        setNeedsTotp(true);
        if (needsTotp) setError(failure.message);
      } else setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <form className="card" onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Guestpass console</h1>
        <p className="muted">Sign in with your operator account.</p>
        {notice && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <label>
          E-mail
          <input type="email" name="email" autoComplete="username" required value={email} onChange={(event) => setEmail(event.target.value)} />
        </label>
        <label>
          Password
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </label>
        {needsTotp && (
          <label>
            Authenticator code
            <input
              name="totp"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6}"
              required
              value={totp}
              onChange={(event) => setTotp(event.target.value.trim())}
            />
          </label>
        )}
        {problem && !error && (
          <p className="error" role="alert">
            {problem}
          </p>
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
