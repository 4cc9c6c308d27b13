/** Parsers for option values. Each throws an Error whose message completes "… <name> …". */

export function parseString(raw: string): string {
  if (raw.trim() === '') throw new Error('must not be empty');
  return raw.trim();
}

export function parseInteger(raw: string, { min = -Infinity, max = Infinity } = {}): number {
  if (!/^-?\d+$/.test(raw.trim())) throw new Error(`must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new Error(`must be between ${min} and ${max}, got ${value}`);
  return value;
}

const durationUnits: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds, from "90", "90s", "15m", "1h", "30d" or "250ms". */
export function parseDuration(raw: string, { min = 0, max = Infinity } = {}): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(raw.trim());
  if (!match) throw new Error(`must be a duration such as 900, 15m or 1h, got "${raw}"`);
  const seconds = Number(match[1]) * durationUnits[match[2] ?? 's']!;
  if (seconds < min || seconds > max) throw new Error(`must be between ${min}s and ${max}s, got ${seconds}s`);
  return seconds;
}

export function parseBoolean(raw: string): boolean {
  const value = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw new Error(`must be true or false, got "${raw}"`);
}

export function parseEnum<T extends string>(raw: string, allowed: readonly T[]): T {
  const value = raw.trim() as T;
  if (!allowed.includes(value)) throw new Error(`must be one of ${allowed.join(', ')}, got "${raw}"`);
  return value;
}

export function parseList(raw: string): string[] {
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** `HOST:PORT` to listen on, the host an IP address or name, IPv6 in brackets (`[::1]:9464`). */
export function parseListenAddress(raw: string): { host: string; port: number } {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(raw.trim());
  if (!match) throw new Error(`must be HOST:PORT such as 127.0.0.1:9464 or [::1]:9464, got "${raw}"`);
  return { host: (match[1] ?? match[2])!, port: parseInteger(match[3]!, { min: 0, max: 65535 }) };
}
