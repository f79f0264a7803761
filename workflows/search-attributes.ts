import { defineSearchAttributeKey } from '@temporalio/common';

// Operators find customers by these in the Temporal UI. Never raw PII here.
export const CustomerIdAttribute = defineSearchAttributeKey('CustomerId', 'KEYWORD');
export const LifecycleStageAttribute = defineSearchAttributeKey('LifecycleStage', 'KEYWORD');
export const TierAttribute = defineSearchAttributeKey('Tier', 'KEYWORD');

export const searchAttributeKeys = [CustomerIdAttribute, LifecycleStageAttribute, TierAttribute];
