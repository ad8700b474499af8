import type { Allocation, Campaign, Dialer, Template } from '../ruleset/dialer.js';
import { failure, type LeadResult } from './lead-result.js';

/** Where leads go: an allocation of a campaign of a template. */
export interface Target {
  template: Template;
  campaign: Campaign;
  allocation: Allocation;
}

export interface TargetIds {
  templateId: string | undefined;
  campaignId: string | undefined;
  allocationId: string | undefined;
}

const INTEGER = /^\d{1,9}$/;

function parseId(text: string | undefined): number | null {
  const trimmed = text?.trim();
  return trimmed && INTEGER.test(trimmed) ? Number(trimmed) : null;
}

/** Where an update goes: a campaign (the lead is found by its external id), and maybe an allocation. */
export type CampaignTarget = Omit<Target, 'allocation'> & { allocation?: Allocation };

/** Resolves the Noojee query ids in the SPEC's order: 116, then 117, then 115. */
export function resolveTarget(dialer: Dialer, ids: TargetIds): { ok: true; target: Target } | { ok: false; result: LeadResult } {
  const resolved = resolveCampaignTarget(dialer, ids, 'required');
  if (!resolved.ok) return resolved;
  return { ok: true, target: resolved.target as Target };
}

/** As resolveTarget, for updateLeadFast where fAllocationId may be left out (but not be wrong). */
export function resolveCampaignTarget(
  dialer: Dialer,
  ids: TargetIds,
  allocation: 'required' | 'optional',
): { ok: true; target: CampaignTarget } | { ok: false; result: LeadResult } {
  const templateId = parseId(ids.templateId);
  const template = templateId === null ? undefined : dialer.templates.get(templateId);
  if (!template) return { ok: false, result: failure(116, describe('fTemplateId', ids.templateId, 'campaign template')) };

  const campaignId = parseId(ids.campaignId);
  const campaign = campaignId === null ? undefined : dialer.campaigns.get(campaignId);
  if (!campaign) return { ok: false, result: failure(117, describe('fCampaignId', ids.campaignId, 'campaign')) };
  if (campaign.template.id !== template.id) {
    return { ok: false, result: failure(117, `campaign ${campaign.id} does not belong to template ${template.id}`) };
  }

  if (allocation === 'optional' && (ids.allocationId === undefined || ids.allocationId.trim() === '')) {
    return { ok: true, target: { template, campaign } };
  }
  const allocationId = parseId(ids.allocationId);
  const found = allocationId === null ? undefined : campaign.allocations.get(allocationId);
  if (!found) {
    if (allocationId !== null && dialer.allocations.has(allocationId)) {
      return { ok: false, result: failure(115, `allocation ${allocationId} does not belong to campaign ${campaign.id}`) };
    }
    return { ok: false, result: failure(115, describe('fAllocationId', ids.allocationId, 'allocation')) };
  }
  return { ok: true, target: { template, campaign, allocation: found } };
}

function describe(parameter: string, value: string | undefined, what: string): string {
  if (value === undefined || value.trim() === '') return `${parameter} is required`;
  if (parseId(value) === null) return `${parameter} must be an integer id, got '${value}'`;
  return `${parameter} ${value.trim()} names no ${what}`;
}
