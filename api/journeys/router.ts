// Journeys for marketers (admin keys): drafts, publish, pause / resume / archive, versions, migration.
import { Router } from 'express';
import { z } from 'zod';
import { parse } from '../errors.js';
import {
  CreateJourney, Journey, JourneyDetail, JourneyDraft, JourneyId, JourneyList, JourneyRemoval, JourneyStatus, Migration, MigrationRequest,
  PauseRequest, Publication, PublishedVersion,
} from './schema.js';
import type { JourneyService } from './service.js';
import type { ApiRoute } from '../route.js';

const ListQuery = z.strictObject({ status: JourneyStatus.optional() });
const Version = z.coerce.number().int().min(1);

const byId = z.object({ id: JourneyId });
const invalidRequest = '`invalid_request`: every bad field named';
const notFound = '`not_found`: no such journey';
const notNow = '`invalid_transition`: not allowed from the journey\'s status';
const admin = (route: Omit<ApiRoute, 'key'>): ApiRoute => ({ ...route, key: 'admin' });

export const journeysApi: ApiRoute[] = [
  admin({
    method: 'post', path: '/v1/journeys', summary: 'Create a journey draft', body: CreateJourney,
    responses: { 201: { description: 'the new draft', schema: Journey } }, errors: { 400: invalidRequest, 409: '`already_exists`: a journey with this id exists' },
  }),
  admin({
    method: 'get', path: '/v1/journeys', summary: 'List journeys (without their drafts)', query: ListQuery,
    responses: { 200: { description: 'journeys by id', schema: JourneyList } }, errors: { 400: invalidRequest },
  }),
  admin({
    method: 'get', path: '/v1/journeys/:id', summary: 'A journey, its draft and its versions', params: byId,
    responses: { 200: { description: 'the journey', schema: JourneyDetail } }, errors: { 400: invalidRequest, 404: notFound },
  }),
  admin({
    method: 'put', path: '/v1/journeys/:id', summary: 'Replace the draft (published versions never change)', params: byId, body: JourneyDraft,
    responses: { 200: { description: 'the journey', schema: Journey } }, errors: { 400: invalidRequest, 404: notFound, 409: `${notNow} (archived)` },
  }),
  admin({
    method: 'delete', path: '/v1/journeys/:id', summary: 'Delete a never-published draft, archive anything else', params: byId,
    responses: { 200: { description: 'deleted, or archived', schema: JourneyRemoval } }, errors: { 400: invalidRequest, 404: notFound },
  }),
  admin({
    method: 'post', path: '/v1/journeys/:id/publish', summary: 'Validate the draft and make it a new immutable version', params: byId,
    responses: { 200: { description: 'the published version', schema: Publication } },
    errors: { 400: `${invalidRequest}; \`invalid_journey\`: each problem naming its step, e.g. \`steps.remind.next\``, 404: notFound, 409: `${notNow}; \`publish_conflict\`: published by someone else meanwhile` },
  }),
  admin({
    method: 'post', path: '/v1/journeys/:id/pause', summary: 'Stop new entries; customers inside hold or exit', params: byId, body: PauseRequest, optionalBody: true,
    responses: { 200: { description: 'the journey', schema: Journey } }, errors: { 400: invalidRequest, 404: notFound, 409: notNow },
  }),
  admin({
    method: 'post', path: '/v1/journeys/:id/resume', summary: 'Let customers enter again', params: byId,
    responses: { 200: { description: 'the journey', schema: Journey } }, errors: { 400: invalidRequest, 404: notFound, 409: notNow },
  }),
  admin({
    method: 'post', path: '/v1/journeys/:id/archive', summary: 'Archive: no new entries, versions stay readable', params: byId,
    responses: { 200: { description: 'the journey', schema: Journey } }, errors: { 400: invalidRequest, 404: notFound },
  }),
  admin({
    method: 'get', path: '/v1/journeys/:id/versions/:version', summary: 'A published version, as customers on it run it',
    params: z.object({ id: JourneyId, version: Version }),
    responses: { 200: { description: 'the version', schema: PublishedVersion } }, errors: { 400: invalidRequest, 404: '`not_found`: no such journey or version' },
  }),
  admin({
    method: 'post', path: '/v1/journeys/:id/migrate', summary: 'Move customers on one version to another at the mapped steps', params: byId, body: MigrationRequest,
    responses: { 200: { description: 'how many customers were moved', schema: Migration } },
    errors: { 400: `${invalidRequest}, including unknown versions and steps`, 404: notFound, 503: '`temporal_unavailable`: retry; a repeated migration moves nobody twice' },
  }),
];

export function journeysRouter(service: JourneyService): Router {
  const router = Router();
  const id = (raw: unknown): string => parse(JourneyId, raw, ['id']);

  router.post('/v1/journeys', async (req, res) => {
    res.status(201).json((await service.create(parse(CreateJourney, req.body ?? {}))) satisfies z.input<typeof Journey>);
  });

  router.get('/v1/journeys', async (req, res) => {
    res.json((await service.list(parse(ListQuery, req.query).status)) satisfies z.input<typeof JourneyList>);
  });

  router.get('/v1/journeys/:id', async (req, res) => {
    res.json((await service.get(id(req.params.id))) satisfies z.input<typeof JourneyDetail>);
  });

  router.put('/v1/journeys/:id', async (req, res) => {
    const journeyId = id(req.params.id);
    res.json((await service.updateDraft(journeyId, parse(JourneyDraft, req.body ?? {}))) satisfies z.input<typeof Journey>);
  });

  router.delete('/v1/journeys/:id', async (req, res) => {
    res.json((await service.remove(id(req.params.id))) satisfies z.input<typeof JourneyRemoval>);
  });

  router.post('/v1/journeys/:id/publish', async (req, res) => {
    res.json((await service.publish(id(req.params.id))) satisfies z.input<typeof Publication>);
  });

  router.post('/v1/journeys/:id/pause', async (req, res) => {
    const journeyId = id(req.params.id);
    res.json((await service.change(journeyId, 'pause', parse(PauseRequest, req.body ?? {}).onPause)) satisfies z.input<typeof Journey>);
  });

  router.post('/v1/journeys/:id/resume', async (req, res) => {
    res.json((await service.change(id(req.params.id), 'resume')) satisfies z.input<typeof Journey>);
  });

  router.post('/v1/journeys/:id/archive', async (req, res) => {
    res.json((await service.change(id(req.params.id), 'archive')) satisfies z.input<typeof Journey>);
  });

  router.get('/v1/journeys/:id/versions/:version', async (req, res) => {
    const journeyId = id(req.params.id);
    res.json((await service.version(journeyId, parse(Version, req.params.version, ['version']))) satisfies z.input<typeof PublishedVersion>);
  });

  router.post('/v1/journeys/:id/migrate', async (req, res) => {
    const journeyId = id(req.params.id);
    res.json((await service.migrate(journeyId, parse(MigrationRequest, req.body ?? {}))) satisfies z.input<typeof Migration>);
  });

  return router;
}
