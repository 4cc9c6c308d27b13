import type { TestServer } from './server.js';

/**
 * The verification page driven as a browser without JavaScript drives it: it keeps the cookies
 * the server sets, reads the form's hidden fields from the HTML, and posts the form back with
 * the page's Origin.
 */
export class FormBrowser {
  private readonly cookies = new Map<string, string>();

  /** `headers` go with every request: `x-forwarded-for` gives the browser an address of its own. */
  constructor(
    private readonly server: TestServer,
    private readonly headers: Record<string, string> = {},
  ) {}

  /** Adds a cookie as if the server had set it earlier (a guest session in cookie mode). */
  setCookie(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  private cookieHeader(): Record<string, string> {
    return this.cookies.size === 0 ? {} : { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') };
  }

  private remember(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, ...rest] = pair!.split('=');
      this.cookies.set(name!.trim(), rest.join('='));
    }
  }

  async get(url: string): Promise<{ status: number; html: string; headers: Headers }> {
    const response = await fetch(url, { headers: { ...this.headers, ...this.cookieHeader() } });
    this.remember(response);
    return { status: response.status, html: await response.text(), headers: response.headers };
  }

  async post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; html: string; headers: Headers }> {
    return this.send(path, 'application/x-www-form-urlencoded', new URLSearchParams(fields).toString(), headers);
  }

  /** Posts the same fields as JSON, with the browser's cookies and Origin: what a script, not the form, would send. */
  async postJson(path: string, fields: Record<string, string>): Promise<{ status: number; html: string; headers: Headers }> {
    return this.send(path, 'application/json', JSON.stringify(fields), {});
  }

  private async send(path: string, contentType: string, body: string, headers: Record<string, string>) {
    const response = await fetch(`${this.server.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        origin: new URL(this.server.url).origin,
        ...this.headers,
        ...this.cookieHeader(),
        ...headers,
      },
      body,
    });
    this.remember(response);
    return { status: response.status, html: await response.text(), headers: response.headers };
  }
}

/** The value of a hidden input of a page. */
export function hiddenField(html: string, name: string): string {
  const match = new RegExp(`<input type="hidden" name="${name}" value="([^"]*)">`).exec(html);
  if (!match) throw new Error(`no hidden field ${name} in ${html}`);
  return match[1]!;
}
