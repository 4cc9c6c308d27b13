import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { register, startMailedServer, type MailedServer, uniqueEmail } from './accounts.js';
import { builtConsole } from './console-build.js';
import { repoRoot } from './paths.js';

/** A password the sign-up accepts (length, not a common one). */
export const OPERATOR_PASSWORD = 'console-test-correct-horse-7';

/** A mailed server (sign-up needs the code) serving the console built from the current sources. */
export async function startConsoleServer(env: Record<string, string> = {}): Promise<MailedServer> {
  return startMailedServer('sqlite', { GUESTPASS_CONSOLE_DIR: await builtConsole(), ...env });
}

/**
 * A person who signs in to the console: an account registered over HTTP (from a guest session
 * when given, which converts that guest), then granted the role with `guestpass admins add`.
 */
export async function addOperator(
  mailed: MailedServer,
  role: 'admin' | 'viewer',
  { sessionToken }: { sessionToken?: string } = {},
): Promise<{ id: string; email: string; password: string }> {
  const email = uniqueEmail(`operator-${role}`);
  const verified = await register(mailed.server, mailed.smtp, {
    clientId: mailed.clientId,
    email,
    password: OPERATOR_PASSWORD,
    ...(sessionToken ? { sessionToken } : {}),
  });
  await mailed.server.cli(['admins', 'add', email, '--role', role]);
  return { id: verified.body['user_id'] as string, email, password: OPERATOR_PASSWORD };
}

export async function signIn(page: Page, baseUrl: string, operator: { email: string; password: string }): Promise<void> {
  if (!page.url().startsWith(`${baseUrl}/admin`)) await page.goto(`${baseUrl}/admin/`);
  await page.getByLabel('E-mail').fill(operator.email);
  await page.getByLabel('Password').fill(operator.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Console pages' }).waitFor();
}

/** Goes to a console page as a person would: by its link in the navigation. */
export async function openPage(page: Page, title: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Console pages' }).getByRole('link', { name: title, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: title }).waitFor();
}

const SCREENSHOTS = join(repoRoot, 'docs/console');

/**
 * The README's pictures of the console, taken by the browser tests: rewritten only with
 * GUESTPASS_SCREENSHOTS=1 or when missing, so that an ordinary test run leaves the tree clean.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  const file = join(SCREENSHOTS, `${name}.png`);
  if (process.env['GUESTPASS_SCREENSHOTS'] !== '1' && existsSync(file)) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  // Charts and lists settle after their requests: wait until nothing says it is loading. (Not
  // 'networkidle': the security page's live stream is a request that never ends.)
  await page.waitForFunction('document.querySelectorAll(".loading").length === 0');
  await page.screenshot({ path: file, fullPage: true });
}

/** A request from inside the signed-in page (its cookie, its origin), as a script on it would make. */
export async function fetchInPage(
  page: Page,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  return page.evaluate(
    async ({ path, init }) => {
      const response = await fetch(path, {
        method: init.method ?? 'GET',
        credentials: 'same-origin',
        headers: { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(init.headers ?? {}) },
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
    },
    { path, init },
  );
}
