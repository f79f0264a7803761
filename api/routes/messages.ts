// Messages across customers (admin keys): one message's delivery state, the sends whose outcome
// is unknown, and an operator's deliberate "send again".
import { Router } from 'express';
import { z } from 'zod';
import { parse } from '../errors.js';
import { MessageId, MessageList, MessageListQuery, MessageView, SendAgainResult } from '../messages/schema.js';
import type { MessageService } from '../messages/service.js';
import type { ApiRoute } from '../openapi.js';

const byId = z.object({ id: MessageId });

export const messagesApi: ApiRoute[] = [
  {
    method: 'get', path: '/v1/messages', key: 'admin', summary: 'The sends whose outcome is unknown, newest first', query: MessageListQuery,
    description: 'A send is `unknown` when its attempt ended between SMTP\'s final dot and the server\'s answer (a worker crash, a dropped connection): '
      + 'it may have arrived, so it is not sent again by itself. A later receipt for its Message-ID settles it; `POST …/send-again` sends it deliberately.',
    responses: { 200: { description: 'one page', schema: MessageList } },
    errors: { 400: '`invalid_request`: `status` is not `unknown`, a bad limit, or not a cursor from a previous page' },
  },
  {
    method: 'get', path: '/v1/messages/:id', key: 'admin', summary: 'One message: its status and delivery times', params: byId,
    responses: { 200: { description: 'the message', schema: MessageView } }, errors: { 400: '`invalid_request`', 404: '`not_found`' },
  },
  {
    method: 'post', path: '/v1/messages/:id/send-again', key: 'admin', summary: 'Send a message whose outcome is unknown again', params: byId,
    description: 'With the same key, so the same Message-ID (a mail client that got the first shows one). Waits up to 15 s for the send to settle.',
    responses: { 200: { description: 'the message after the attempt', schema: SendAgainResult } },
    errors: { 400: '`invalid_request`', 404: '`not_found`', 409: '`not_unknown`: the message is not unknown (it was sent, delivered, failed…); `not_resendable`: found unknown before personalisation was kept', 503: '`temporal_unavailable`: retry' },
  },
];

export function messagesRouter(service: MessageService): Router {
  const router = Router();
  router.get('/v1/messages', async (req, res) => {
    const query = parse(MessageListQuery, req.query);
    res.json((await service.listUnknown(query.limit, query.cursor)) satisfies z.input<typeof MessageList>);
  });
  router.get('/v1/messages/:id', async (req, res) => {
    const { id } = parse(byId, req.params, ['id']);
    res.json((await service.get(id)) satisfies z.input<typeof MessageView>);
  });
  router.post('/v1/messages/:id/send-again', async (req, res) => {
    const { id } = parse(byId, req.params, ['id']);
    res.json((await service.sendAgain(id)) satisfies z.input<typeof SendAgainResult>);
  });
  return router;
}
