/** One customer event as the workflow sees it: normalised from the Segment spec at the API. */
export interface CustomerEvent {
  /** Client-chosen id; the same id twice is applied once. */
  messageId: string;
  kind: 'track' | 'identify' | 'page' | 'screen' | 'group' | 'alias';
  /** Track event name, or the page/screen name. */
  name?: string;
  properties: Record<string, unknown>;
  traits: Record<string, unknown>;
  /** When it happened (ISO 8601). */
  timestamp: string;
  /** The touchpoint it came from (web, pos, wechat, sms…), when known. */
  channel?: string;
  /** The kinds of identity the call carried (`userId`, `phone`, `member_id`…), never their values: membership triggers read them. */
  identities?: string[];
  /** UTM campaign context it arrived with (Segment's `context.campaign`): an attribution touch. */
  campaign?: { source?: string; medium?: string; name?: string };
}
