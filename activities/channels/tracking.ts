// Makes a rendered message trackable: click-tracked links (stored with the message, so a
// redirect only goes where the message pointed), an open pixel and an unsubscribe link.
import type { Channel } from '../../workflows/messaging/types.js';
import { trackLinks, trackingUrl, type TrackingKeys } from '../../signing/tokens.js';
import type { RenderedContent } from './templates.js';

export interface TrackedContent {
  body: string;
  /** The original URLs; click tokens name them by index. */
  links: string[];
  unsubscribeUrl?: string;
}

const attr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** Puts `extra` just before `</body>`, or at the end of a fragment. */
function beforeBodyEnd(html: string, extra: string): string {
  const at = html.search(/<\/body>/i);
  return at < 0 ? html + extra : html.slice(0, at) + extra + html.slice(at);
}

export function addTracking(
  content: RenderedContent,
  message: { key: string; customerId: string; channel: Channel; group?: string },
  options: { publicUrl: string; keys: TrackingKeys },
): TrackedContent {
  const { key, customerId, channel } = message;
  const claims = { m: key, c: customerId, ch: channel };
  if (channel === 'push' || channel === 'webhook') return { body: content.linkMarker ? content.body.replaceAll(content.linkMarker, '') : content.body, links: [] };
  const html = channel === 'email' && content.html;
  // Content rendered with marked links tracks only those (the author's), never links from customer data.
  const tracked = trackLinks(content.body, { messageId: key, customerId, channel }, { ...options, html, marker: content.linkMarker });
  if (channel !== 'email') return { body: tracked.content, links: tracked.links };

  // A message of a subscription group unsubscribes from that group (List-Unsubscribe and the footer link alike).
  const unsubscribeUrl = trackingUrl(options.publicUrl, { ...claims, k: 'unsubscribe', ...(message.group !== undefined && { g: message.group }) }, options.keys);
  if (!html) return { body: `${tracked.content}\n\nUnsubscribe: ${unsubscribeUrl}\n`, links: tracked.links, unsubscribeUrl };
  const pixel = trackingUrl(options.publicUrl, { ...claims, k: 'open' }, options.keys);
  const footer = `<p style="font-size:12px;color:#888"><a href="${attr(unsubscribeUrl)}">Unsubscribe</a></p>`
    + `<img src="${attr(pixel)}" width="1" height="1" alt="" style="display:block;border:0">`;
  return { body: beforeBodyEnd(tracked.content, footer), links: tracked.links, unsubscribeUrl };
}
