// The run command's MongoDB (mongo-java-server on H2) keeps data across a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import { startMongo } from '../../scripts/servers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'closedloop-h2-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the local run\'s MongoDB', () => {
  it('keeps a customer written before a restart', async () => {
    const file = path.join(dir, 'mongo.mv.db');
    const first = await startMongo({ storage: `h2:${file}`, heap: '256m' });
    const a = new MongoClient(first.address);
    await a.db('closedloop').collection('customers').insertOne({ _id: 'c1' as never, stage: 'member' });
    await a.close();
    await first.stop();

    const second = await startMongo({ storage: `h2:${file}`, heap: '256m' });
    const b = new MongoClient(second.address);
    try {
      expect(await b.db('closedloop').collection('customers').findOne({ _id: 'c1' as never })).toEqual({ _id: 'c1', stage: 'member' });
    } finally {
      await b.close();
      await second.stop();
    }
  });

  it('refuses a port that is taken, with a clear message', async () => {
    const running = await startMongo({ storage: 'memory', heap: '256m' });
    try {
      const port = Number(new URL(running.address).port);
      await expect(startMongo({ storage: 'memory', port, heap: '256m' })).rejects.toThrow(/cannot listen on 127\.0\.0\.1:\d+: port already in use/);
    } finally {
      await running.stop();
    }
  });
});
