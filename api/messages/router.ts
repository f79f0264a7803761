// Messages across customers (admin keys): one message's delivery state, the sends whose outcome
// is unknown, and an operator's deliberate "send again".
import { Router } from 'express';
import { z } from 'zod';
import { parse } from '../errors.js';
import { MessageId, MessageList, MessageListQuery, MessageView, SendAgainResult, TransactionalRequest, TransactionalResult } from './schema.js';
import type { MessageService } from './service.js';
import type { ApiRoute } from '../route.js';

const byId = z.object({ id: MessageId });

export const messagesApi: ApiRoute[] = [
  {
    method: 'post', path: '/v1/messages', key: 'admin', summary: 'Send one transactional message now', body: TransactionalRequest,
    description: 'Rendered with the template for the customer (their profile as `profile`, `data` as `event`) and sent through the same exactly-once send ledger as '
      + 'journeys\' sends, retried on provider errors, outside marketing caps and quiet hours; it shows in the customer\'s timeline and, as `transactional`, in the channel report. '
      + 'Opt-outs the law makes final for the channel (an SMS STOP) are honoured: the message is recorded `suppressed` (`hard_opt_out`) and not sent. '
      + 'Waits up to 15 s for the send; `settled: false` means it is still under way (GET the message).',
    responses: {
      200: { description: 'sent (or failed, or suppressed), or the first message of this idempotency key', schema: TransactionalResult },
      202: { description: 'accepted and still being sent', schema: TransactionalResult },
    },
    errors: {
      400: '`invalid_request`: every bad field named (neither customer nor to, a bad address, a bad key)', 404: '`template_not_found`, `customer_not_found`',
      422: '`no_address`: the customer has no address on the template\'s channel and no `to` was given', 503: '`temporal_unavailable`: retry with the same idempotency key',
    },
  },
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
  router.post('/v1/messages', async (req, res) => {
    const result = await service.sendTransactional(parse(TransactionalRequest, req.body ?? {}));
    res.status(result.settled ? 200 : 202).json(result satisfies z.input<typeof TransactionalResult>);
  });
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
