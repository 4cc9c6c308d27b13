/**
 * Autonomous systems of large hosting, cloud and VPN-exit providers. Traffic from them says
 * little about where a person is (a VPN exit in Frankfurt is not the user's home), so impossible
 * travel across them is discounted. ASNs come from the bundled @ip-location-db/asn table or a
 * GeoLite2-ASN file (GUESTPASS_GEOIP_ASN_DATABASE). The list is short on purpose: well-known networks whose
 * address space is overwhelmingly servers, not residential or mobile users.
 */
export const HOSTING_ASNS: ReadonlyMap<number, string> = new Map([
  [16509, 'Amazon Web Services'],
  [14618, 'Amazon Web Services (us-east-1)'],
  [396982, 'Google Cloud'],
  [8075, 'Microsoft Azure'],
  [31898, 'Oracle Cloud'],
  [14061, 'DigitalOcean'],
  [16276, 'OVHcloud'],
  [24940, 'Hetzner Online'],
  [63949, 'Akamai Connected Cloud (Linode)'],
  [20473, 'Vultr (Choopa)'],
  [51167, 'Contabo'],
  [12876, 'Scaleway'],
  [60781, 'Leaseweb Netherlands'],
  [8560, 'IONOS'],
  [47583, 'Hostinger'],
  [45102, 'Alibaba Cloud'],
  [132203, 'Tencent Cloud'],
  [9009, 'M247 (many commercial VPN exits)'],
  [60068, 'Datacamp / CDN77 (many commercial VPN exits)'],
  [212238, 'Datacamp (its second AS, also VPN exits)'],
  [13335, 'Cloudflare (WARP exits)'],
]);

export function isHostingAsn(asn: number | undefined): boolean {
  return asn !== undefined && HOSTING_ASNS.has(asn);
}
