import { defineSearchAttributeKey } from '@temporalio/common';

// Operators find customers by these in the Temporal UI. Never raw PII here.
export const CustomerIdAttribute = defineSearchAttributeKey('CustomerId', 'KEYWORD');
export const LifecycleStageAttribute = defineSearchAttributeKey('LifecycleStage', 'KEYWORD');
export const TierAttribute = defineSearchAttributeKey('Tier', 'KEYWORD');
/** Ids of the journeys the customer is in now, e.g. `ActiveJourneys = "win-back"`. */
export const ActiveJourneysAttribute = defineSearchAttributeKey('ActiveJourneys', 'KEYWORD_LIST');
/** On broadcast runs: `CampaignId = "spring-sale"` lists every run of a campaign. */
export const CampaignIdAttribute = defineSearchAttributeKey('CampaignId', 'KEYWORD');

export const searchAttributeKeys = [CustomerIdAttribute, LifecycleStageAttribute, TierAttribute, ActiveJourneysAttribute, CampaignIdAttribute];

/** The type names the Temporal CLI takes for `--search-attribute Name=Type`. */
export const cliTypeName = (type: string): string => (type === 'KEYWORD_LIST' ? 'KeywordList' : 'Keyword');
