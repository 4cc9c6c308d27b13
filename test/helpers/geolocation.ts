/**
 * Geolocation and ASN lookups off. The bundled DB-IP and ASN files cost each server 1.1 to 1.5 s
 * of CPU and 180 MB to open, whether it runs in the test's process or is a `guestpass serve` the
 * test spawns, and they place none of the addresses most tests send: loopback, or, behind a
 * trusted proxy, 198.18.0.0/15 (RFC 2544 benchmarking); those answer "unknown" with or without
 * the files. Any test can still set these options itself.
 */
export const NO_GEOLOCATION = { GUESTPASS_GEOIP_DATABASE: 'none', GUESTPASS_GEOIP_ASN_DATABASE: 'none', GUESTPASS_TELEMETRY_COUNTRY_DB: 'off' };

/**
 * A single server's default: without a trusted proxy every request it gets comes from loopback,
 * so it loads no geolocation; one that trusts a proxy is sent real addresses and locates them,
 * as production does.
 */
export function geolocationFor(env: Record<string, string>): Record<string, string> {
  return env['GUESTPASS_TRUSTED_PROXIES'] ? {} : NO_GEOLOCATION;
}
