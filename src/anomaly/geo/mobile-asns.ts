/**
 * Autonomous systems of mobile carriers whose phones reach the internet through carrier-grade
 * NAT, and which carry little else. The location a database gives such an address is where
 * the carrier registered the pool, anywhere in the country it serves, and a carrier moves a
 * phone between pools every few minutes; abroad, home-routed roaming keeps the home carrier's
 * address. So a jump within one country through one of these says nothing about travel.
 *
 * Carriers whose ASN also carries fixed broadband (Orange 3215, Vodafone Germany 3209, Deutsche
 * Telekom 3320, BT 2856, Telstra 1221, KDDI 2516) are left out on purpose: excusing them would
 * excuse a thief on a home line in the victim's own country. Their phones are still learnt
 * from behaviour (busy networks, shared egresses, the country's spread).
 */
export const MOBILE_ASNS: ReadonlyMap<number, string> = new Map([
  [21928, 'T-Mobile US'],
  [6167, 'Verizon Wireless'],
  [22394, 'Verizon Wireless (Cellco Partnership)'],
  [20057, 'AT&T Mobility'],
  [51207, 'Free Mobile'],
  [12576, 'EE (UK)'],
  [25135, 'Vodafone UK'],
  [55836, 'Reliance Jio'],
  [9644, 'SK Telecom'],
]);

export function isMobileAsn(asn: number | undefined): boolean {
  return asn !== undefined && MOBILE_ASNS.has(asn);
}
