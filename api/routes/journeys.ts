// Journeys for marketers (admin keys): drafts, publish, pause / resume / archive, versions, migration.
import { Router } from 'express';
import { z } from 'zod';
import { invalid, zodDetails } from '../errors.js';
import { CreateJourney, JourneyDraft, JourneyId, MigrationRequest, PauseRequest } from '../journeys/schema.js';
import type { JourneyService } from '../journeys/service.js';

const ListQuery = z.strictObject({ status: z.enum(['draft', 'active', 'paused', 'archived']).optional() });
const Version = z.coerce.number().int().min(1);

/** The parsed value, or a 400 naming every bad field. */
function parse<S extends z.ZodType>(schema: S, value: unknown, prefix: string[] = []): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalid(zodDetails(parsed.error, prefix));
  return parsed.data;
}

export function journeysRouter(service: JourneyService): Router {
  const router = Router();
  const id = (raw: unknown): string => parse(JourneyId, raw, ['id']);

  router.post('/v1/journeys', async (req, res) => {
    res.status(201).json(await service.create(parse(CreateJourney, req.body ?? {})));
  });

  router.get('/v1/journeys', async (req, res) => {
    res.json(await service.list(parse(ListQuery, req.query).status));
  });

  router.get('/v1/journeys/:id', async (req, res) => {
    res.json(await service.get(id(req.params.id)));
  });

  router.put('/v1/journeys/:id', async (req, res) => {
    const journeyId = id(req.params.id);
    res.json(await service.updateDraft(journeyId, parse(JourneyDraft, req.body ?? {})));
  });

  router.delete('/v1/journeys/:id', async (req, res) => {
    res.json(await service.remove(id(req.params.id)));
  });

  router.post('/v1/journeys/:id/publish', async (req, res) => {
    res.json(await service.publish(id(req.params.id)));
  });

  router.post('/v1/journeys/:id/pause', async (req, res) => {
    const journeyId = id(req.params.id);
    res.json(await service.change(journeyId, 'pause', parse(PauseRequest, req.body ?? {}).onPause));
  });

  router.post('/v1/journeys/:id/resume', async (req, res) => {
    res.json(await service.change(id(req.params.id), 'resume'));
  });

  router.post('/v1/journeys/:id/archive', async (req, res) => {
    res.json(await service.change(id(req.params.id), 'archive'));
  });

  router.get('/v1/journeys/:id/versions/:version', async (req, res) => {
    const journeyId = id(req.params.id);
    res.json(await service.version(journeyId, parse(Version, req.params.version, ['version'])));
  });

  router.post('/v1/journeys/:id/migrate', async (req, res) => {
    const journeyId = id(req.params.id);
    res.json(await service.migrate(journeyId, parse(MigrationRequest, req.body ?? {})));
  });

  return router;
}
