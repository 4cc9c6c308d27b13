import type { CarrierSpec, CitySpec, HostingSpec } from './types.js';

/**
 * The simulated audience: 60 cities on every continent, weighted roughly by how many people
 * online live there for an app with a global audience (Europe and North America heavier).
 */
export const CITIES: CitySpec[] = [
  { name: 'New York', country: 'US', lat: 40.7128, lon: -74.006, utcOffset: -4, weight: 6 },
  { name: 'Los Angeles', country: 'US', lat: 34.0522, lon: -118.2437, utcOffset: -7, weight: 4 },
  { name: 'Chicago', country: 'US', lat: 41.8781, lon: -87.6298, utcOffset: -5, weight: 3 },
  { name: 'Houston', country: 'US', lat: 29.7604, lon: -95.3698, utcOffset: -5, weight: 2 },
  { name: 'Miami', country: 'US', lat: 25.7617, lon: -80.1918, utcOffset: -4, weight: 2 },
  { name: 'Seattle', country: 'US', lat: 47.6062, lon: -122.3321, utcOffset: -7, weight: 2 },
  { name: 'San Francisco', country: 'US', lat: 37.7749, lon: -122.4194, utcOffset: -7, weight: 2 },
  { name: 'Atlanta', country: 'US', lat: 33.749, lon: -84.388, utcOffset: -4, weight: 2 },
  { name: 'Dallas', country: 'US', lat: 32.7767, lon: -96.797, utcOffset: -5, weight: 2 },
  { name: 'Boston', country: 'US', lat: 42.3601, lon: -71.0589, utcOffset: -4, weight: 1.5 },
  { name: 'Toronto', country: 'CA', lat: 43.6532, lon: -79.3832, utcOffset: -4, weight: 2 },
  { name: 'Vancouver', country: 'CA', lat: 49.2827, lon: -123.1207, utcOffset: -7, weight: 1 },
  { name: 'Montreal', country: 'CA', lat: 45.5017, lon: -73.5673, utcOffset: -4, weight: 1 },
  { name: 'Mexico City', country: 'MX', lat: 19.4326, lon: -99.1332, utcOffset: -6, weight: 2 },
  { name: 'São Paulo', country: 'BR', lat: -23.5505, lon: -46.6333, utcOffset: -3, weight: 3 },
  { name: 'Rio de Janeiro', country: 'BR', lat: -22.9068, lon: -43.1729, utcOffset: -3, weight: 1.5 },
  { name: 'Buenos Aires', country: 'AR', lat: -34.6037, lon: -58.3816, utcOffset: -3, weight: 1.5 },
  { name: 'Bogotá', country: 'CO', lat: 4.711, lon: -74.0721, utcOffset: -5, weight: 1 },
  { name: 'Santiago', country: 'CL', lat: -33.4489, lon: -70.6693, utcOffset: -4, weight: 1 },
  { name: 'London', country: 'GB', lat: 51.5074, lon: -0.1278, utcOffset: 1, weight: 5 },
  { name: 'Manchester', country: 'GB', lat: 53.4808, lon: -2.2426, utcOffset: 1, weight: 1.5 },
  { name: 'Dublin', country: 'IE', lat: 53.3498, lon: -6.2603, utcOffset: 1, weight: 1 },
  { name: 'Paris', country: 'FR', lat: 48.8566, lon: 2.3522, utcOffset: 2, weight: 4 },
  { name: 'Lyon', country: 'FR', lat: 45.764, lon: 4.8357, utcOffset: 2, weight: 1 },
  { name: 'Marseille', country: 'FR', lat: 43.2965, lon: 5.3698, utcOffset: 2, weight: 1 },
  { name: 'Berlin', country: 'DE', lat: 52.52, lon: 13.405, utcOffset: 2, weight: 2.5 },
  { name: 'Munich', country: 'DE', lat: 48.1351, lon: 11.582, utcOffset: 2, weight: 1.5 },
  { name: 'Hamburg', country: 'DE', lat: 53.5511, lon: 9.9937, utcOffset: 2, weight: 1.5 },
  { name: 'Frankfurt', country: 'DE', lat: 50.1109, lon: 8.6821, utcOffset: 2, weight: 1 },
  { name: 'Amsterdam', country: 'NL', lat: 52.3676, lon: 4.9041, utcOffset: 2, weight: 2 },
  { name: 'Brussels', country: 'BE', lat: 50.8503, lon: 4.3517, utcOffset: 2, weight: 1 },
  { name: 'Madrid', country: 'ES', lat: 40.4168, lon: -3.7038, utcOffset: 2, weight: 2 },
  { name: 'Barcelona', country: 'ES', lat: 41.3874, lon: 2.1686, utcOffset: 2, weight: 1.5 },
  { name: 'Rome', country: 'IT', lat: 41.9028, lon: 12.4964, utcOffset: 2, weight: 1.5 },
  { name: 'Milan', country: 'IT', lat: 45.4642, lon: 9.19, utcOffset: 2, weight: 1.5 },
  { name: 'Warsaw', country: 'PL', lat: 52.2297, lon: 21.0122, utcOffset: 2, weight: 1.5 },
  { name: 'Stockholm', country: 'SE', lat: 59.3293, lon: 18.0686, utcOffset: 2, weight: 1 },
  { name: 'Zurich', country: 'CH', lat: 47.3769, lon: 8.5417, utcOffset: 2, weight: 1 },
  { name: 'Istanbul', country: 'TR', lat: 41.0082, lon: 28.9784, utcOffset: 3, weight: 2 },
  { name: 'Moscow', country: 'RU', lat: 55.7558, lon: 37.6173, utcOffset: 3, weight: 1.5 },
  { name: 'Cairo', country: 'EG', lat: 30.0444, lon: 31.2357, utcOffset: 3, weight: 1 },
  { name: 'Lagos', country: 'NG', lat: 6.5244, lon: 3.3792, utcOffset: 1, weight: 1 },
  { name: 'Johannesburg', country: 'ZA', lat: -26.2041, lon: 28.0473, utcOffset: 2, weight: 1 },
  { name: 'Nairobi', country: 'KE', lat: -1.2921, lon: 36.8219, utcOffset: 3, weight: 0.7 },
  { name: 'Dubai', country: 'AE', lat: 25.2048, lon: 55.2708, utcOffset: 4, weight: 1 },
  { name: 'Mumbai', country: 'IN', lat: 19.076, lon: 72.8777, utcOffset: 5.5, weight: 3 },
  { name: 'Delhi', country: 'IN', lat: 28.7041, lon: 77.1025, utcOffset: 5.5, weight: 3 },
  { name: 'Bangalore', country: 'IN', lat: 12.9716, lon: 77.5946, utcOffset: 5.5, weight: 2 },
  { name: 'Singapore', country: 'SG', lat: 1.3521, lon: 103.8198, utcOffset: 8, weight: 1.5 },
  { name: 'Tokyo', country: 'JP', lat: 35.6762, lon: 139.6503, utcOffset: 9, weight: 4 },
  { name: 'Osaka', country: 'JP', lat: 34.6937, lon: 135.5023, utcOffset: 9, weight: 1.5 },
  { name: 'Seoul', country: 'KR', lat: 37.5665, lon: 126.978, utcOffset: 9, weight: 2.5 },
  { name: 'Taipei', country: 'TW', lat: 25.033, lon: 121.5654, utcOffset: 8, weight: 1 },
  { name: 'Hong Kong', country: 'HK', lat: 22.3193, lon: 114.1694, utcOffset: 8, weight: 1 },
  { name: 'Jakarta', country: 'ID', lat: -6.2088, lon: 106.8456, utcOffset: 7, weight: 2 },
  { name: 'Manila', country: 'PH', lat: 14.5995, lon: 120.9842, utcOffset: 8, weight: 1.5 },
  { name: 'Bangkok', country: 'TH', lat: 13.7563, lon: 100.5018, utcOffset: 7, weight: 1.5 },
  { name: 'Sydney', country: 'AU', lat: -33.8688, lon: 151.2093, utcOffset: 10, weight: 2 },
  { name: 'Melbourne', country: 'AU', lat: -37.8136, lon: 144.9631, utcOffset: 10, weight: 1.5 },
  { name: 'Auckland', country: 'NZ', lat: -36.8485, lon: 174.7633, utcOffset: 12, weight: 0.7 },
];

/**
 * Mobile carriers whose phones reach the internet through carrier-grade NAT: thousands of
 * subscribers share each egress /24, and the database places those /24s wherever the
 * carrier registered them, often hundreds of km from the phone.
 */
export const CARRIER_RANGES: CarrierSpec[] = [
  { name: 'T-Mobile US', country: 'US', asn: 21928, ranges: ['172.32.0.0/11'] },
  { name: 'Verizon Wireless', country: 'US', asn: 6167, ranges: ['174.192.0.0/10'] },
  { name: 'Orange France (mobile)', country: 'FR', asn: 3215, ranges: ['92.184.64.0/18'] },
  { name: 'Vodafone Germany (mobile)', country: 'DE', asn: 3209, ranges: ['109.40.0.0/14'] },
  { name: 'EE (UK)', country: 'GB', asn: 12576, ranges: ['31.94.0.0/16'] },
  { name: 'Reliance Jio', country: 'IN', asn: 55836, ranges: ['49.32.0.0/11'] },
  { name: 'Telstra (mobile)', country: 'AU', asn: 1221, ranges: ['1.144.0.0/12'] },
  { name: 'KDDI au', country: 'JP', asn: 2516, ranges: ['106.128.0.0/11'] },
  { name: 'SK Telecom', country: 'KR', asn: 9644, ranges: ['223.32.0.0/11'] },
];

/** Hosting and VPN-exit providers (attack tooling runs in clouds; VPN users exit through the others). */
export const HOSTING_RANGES: HostingSpec[] = [
  { name: 'Amazon Web Services', asn: 16509, use: 'cloud', ranges: ['52.95.0.0/16', '3.5.128.0/17', '18.184.0.0/15'] },
  { name: 'Google Cloud', asn: 396982, use: 'cloud', ranges: ['34.64.0.0/16', '35.186.0.0/16'] },
  { name: 'Microsoft Azure', asn: 8075, use: 'cloud', ranges: ['20.50.0.0/16', '40.74.0.0/16'] },
  { name: 'DigitalOcean', asn: 14061, use: 'cloud', ranges: ['159.65.0.0/16', '138.68.0.0/16', '167.99.0.0/16'] },
  { name: 'Akamai Connected Cloud (Linode)', asn: 63949, use: 'cloud', ranges: ['172.104.0.0/15', '139.162.0.0/16'] },
  { name: 'OVHcloud', asn: 16276, use: 'cloud', ranges: ['51.38.0.0/16', '54.36.0.0/16'] },
  { name: 'Hetzner Online', asn: 24940, use: 'cloud', ranges: ['95.216.0.0/16', '65.108.0.0/16'] },
  { name: 'Vultr (Choopa)', asn: 20473, use: 'cloud', ranges: ['45.32.0.0/16', '149.28.0.0/16'] },
  { name: 'M247', asn: 9009, use: 'vpn', ranges: ['146.70.0.0/16', '37.120.128.0/17'] },
  { name: 'Datacamp (CDN77)', asn: 60068, use: 'vpn', ranges: ['89.187.160.0/19', '212.102.32.0/19', '138.199.0.0/16'] },
  { name: 'Leaseweb', asn: 60781, use: 'vpn', ranges: ['5.79.64.0/18', '37.48.64.0/18'] },
];
