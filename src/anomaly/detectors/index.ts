/** The detectors, one file each; `createDetectors` builds the enabled ones from a configuration. */
import type { DetectionConfig } from '../config.js';
import { AccountNewNetworkDetector } from './account-new-network.js';
import { ClientMismatchDetector } from './client-mismatch.js';
import type { EngineDetector } from './common.js';
import { CredentialStuffingDetector } from './credential-stuffing.js';
import { DpopMismatchDetector } from './dpop-mismatch.js';
import { ImpossibleTravelDetector } from './impossible-travel.js';
import { IngestionSpikeDetector } from './ingestion-spike.js';
import { OffHoursDetector } from './off-hours.js';
import { RefreshStormDetector } from './refresh-storm.js';
import { RevocationChainDetector } from './revocation-chain.js';
import { ScopeProbingDetector } from './scope-probing.js';
import { SignupFloodDetector } from './signup-flood.js';
import { TokenReuseDetector } from './token-reuse.js';
import { UserCodeGuessingDetector } from './user-code-guessing.js';

export type { EngineDetector } from './common.js';
export { distanceKm } from './impossible-travel.js';
export { prefixAddress, prefixHash } from './common.js';

export function createDetectors(config: DetectionConfig): EngineDetector[] {
  const { detectors: d, engine } = config;
  const cold = engine.cold_floor_factor;
  const all: [boolean, () => EngineDetector][] = [
    [d.token_reuse.enabled, () => new TokenReuseDetector(d.token_reuse)],
    [d.client_mismatch.enabled, () => new ClientMismatchDetector(d.client_mismatch)],
    [d.dpop_mismatch.enabled, () => new DpopMismatchDetector(d.dpop_mismatch)],
    [d.impossible_travel.enabled, () => new ImpossibleTravelDetector(d.impossible_travel)],
    [d.refresh_storm.enabled, () => new RefreshStormDetector(d.refresh_storm, cold)],
    [d.signup_flood.enabled, () => new SignupFloodDetector(d.signup_flood, cold)],
    [d.credential_stuffing.enabled, () => new CredentialStuffingDetector(d.credential_stuffing, cold)],
    [d.off_hours.enabled, () => new OffHoursDetector(d.off_hours, cold)],
    [d.ingestion_spike.enabled, () => new IngestionSpikeDetector(d.ingestion_spike, cold)],
    [d.user_code_guessing.enabled, () => new UserCodeGuessingDetector(d.user_code_guessing)],
    [d.scope_probing.enabled, () => new ScopeProbingDetector(d.scope_probing)],
    [d.revocation_chain.enabled, () => new RevocationChainDetector(d.revocation_chain)],
    [d.account_new_network.enabled, () => new AccountNewNetworkDetector(d.account_new_network)],
  ];
  return all.filter(([enabled]) => enabled).map(([, create]) => create());
}
