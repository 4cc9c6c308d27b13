/** A real network block (/24 or larger) and where the bundled DB-IP database puts it. */
export interface PlaceBlock {
  cidr: string;
  lat: number;
  lon: number;
  country: string;
}

export interface CitySpec {
  name: string;
  country: string;
  lat: number;
  lon: number;
  /** Offset of local time from UTC in June, in hours (daylight saving included). */
  utcOffset: number;
  /** Relative share of the simulated audience living there. */
  weight: number;
}

export interface CarrierSpec {
  name: string;
  country: string;
  /** Public registry ASN of the carrier (for the report only: DB-IP Lite has no ASN). */
  asn: number;
  /** Supernets the carrier announces for its mobile (CGNAT) egress. */
  ranges: string[];
}

export interface HostingSpec {
  name: string;
  asn: number;
  /** `vpn`: commercial VPN exits live there; `cloud`: servers (where attack tooling runs). */
  use: 'vpn' | 'cloud';
  ranges: string[];
}

export interface PlacesTable {
  /** Build time of the database the table was read from. */
  database: string;
  /** Residential blocks (CIDR), each placed within 25 km of its city by the database. */
  cities: (CitySpec & { blocks: string[] })[];
  carriers: (CarrierSpec & { blocks: PlaceBlock[] })[];
  hosting: (HostingSpec & { blocks: PlaceBlock[] })[];
}
