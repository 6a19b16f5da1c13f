import type { HealthResult } from '../health/types.js';
import type { ProbeResult } from '../probes/probe.js';

/** A probe's result as the health sink takes it: its details are the evidence. */
export function toHealthResult(result: ProbeResult): HealthResult {
  const { details, ...rest } = result;
  return details ? { ...rest, evidence: details } : rest;
}
