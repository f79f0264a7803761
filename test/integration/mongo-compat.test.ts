// MongoDB compatibility suite: every MongoDB operation the product code relies on, each asserted
// against MongoDB 7's documented result. Tests normally run on mongo-java-server (a wire-protocol
// substitute), users on real MongoDB 7; this file is what keeps the two in step.
// - A new MongoDB operation (or a new shape of filter/update/option) in the product code means a
//   new case here. An operation that fails here on the substitute must not be used by the product.
// - It runs unchanged against real MongoDB: set MONGODB_URI and the globalSetup
//   (test/setup/servers.ts) uses it instead of starting mongo-java-server.
// - Known divergence, hence unused by the product: after an insert that hit duplicate keys,
//   mongo-java-server reports insertedCount as the number of documents sent, not stored.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { MongoBulkWriteError, MongoClient, MongoServerError, type Collection, type Db } from 'mongodb';
import mongoose from 'mongoose';
import { isDuplicateKey } from '../../store/errors.js';
import { createModels } from '../../store/models.js';

const uri = inject('mongoUri');
const dbName = `compat_${randomUUID().replaceAll('-', '')}`;
let client: MongoClient;
let db: Db;

beforeAll(async () => {
  client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  db = client.db(dbName);
});
afterAll(async () => {
  await db?.dropDatabase().catch(() => undefined);
  await client?.close();
});

/** A fresh collection per case, so cases never see each other's documents. */
const fresh = <T extends { _id: string }>(name: string): Collection<T> => db.collection<T>(`${name}_${randomUUID().slice(0, 8)}`);

/** The rejection of `p`, or a failure if it resolved. */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the operation to fail, but it succeeded');
}

interface Ev { _id: string; customerId: string; timestamp: Date; n?: number }
interface Cust { _id: string; revision?: number; stage?: string; mergedInto?: string; counters?: { events: number }; consent?: Record<string, boolean> }
interface Ident { _id: string; type?: string; customerId: string; createdAt?: Date }

describe('MongoDB operations the product relies on', () => {
  it('insertMany unordered stores the new documents and reports duplicates as 11000 write errors', async () => {
    const events = fresh<Ev>('events');
    const t = new Date('2024-01-01T00:00:00Z');
    await events.insertMany([{ _id: 'm1', customerId: 'c1', timestamp: t }, { _id: 'm3', customerId: 'c1', timestamp: t }]);

    const err = await rejection(events.insertMany([
      { _id: 'm1', customerId: 'c1', timestamp: t, n: 99 },
      { _id: 'm2', customerId: 'c1', timestamp: t },
      { _id: 'm3', customerId: 'c1', timestamp: t, n: 99 },
      { _id: 'm4', customerId: 'c1', timestamp: t },
    ], { ordered: false }));

    expect(err).toBeInstanceOf(MongoBulkWriteError);
    const bulk = err as MongoBulkWriteError;
    expect(bulk.code).toBe(11000);
    const writeErrors = Array.isArray(bulk.writeErrors) ? bulk.writeErrors : [bulk.writeErrors];
    expect(writeErrors).toHaveLength(2);
    expect(writeErrors.map((w) => w.code)).toEqual([11000, 11000]);
    expect(writeErrors.map((w) => w.index).sort()).toEqual([0, 2]);
    expect(isDuplicateKey(err)).toBe(true);

    const stored = await events.find({}).sort({ _id: 1 }).toArray();
    expect(stored.map((d) => d._id)).toEqual(['m1', 'm2', 'm3', 'm4']);
    // The existing documents are left as they were.
    expect(stored.filter((d) => d.n === 99)).toEqual([]);
  });

  it('isDuplicateKey is false for a server error that is not a duplicate key, and for plain errors', async () => {
    const customers = fresh<Cust & { name?: string }>('customers');
    await customers.insertOne({ _id: 'c1', name: 'Ana' });
    // $inc on a string field: MongoDB answers TypeMismatch (14).
    const err = await rejection(customers.updateOne({ _id: 'c1' }, { $inc: { name: 1 } as never }));
    expect(err).toBeInstanceOf(MongoServerError);
    expect((err as MongoServerError).code).not.toBe(11000);
    expect(isDuplicateKey(err)).toBe(false);
    expect(isDuplicateKey(new Error('boom'))).toBe(false);
    expect(isDuplicateKey(undefined)).toBe(false);
  });

  it('the revision guard with a rerun task\'s tie-break: the same revision written later in workflow time replaces, written earlier does not (customers.save)', async () => {
    const customers = fresh<Cust & { writtenAt?: number }>('customers');
    const save = (revision: number, writtenAt: number, stage: string) => customers.updateOne(
      { _id: 'c1', $or: [{ revision: { $lt: revision } }, { revision: { $exists: false } }, { revision, $or: [{ writtenAt: { $lt: writtenAt } }, { writtenAt: { $exists: false } }] }] },
      { $set: { revision, writtenAt, stage } },
      { upsert: true },
    ).catch((err: { code?: number }) => { if (err.code !== 11000) throw err; });
    await customers.insertOne({ _id: 'c1', revision: 1, stage: 'old, no writtenAt' });
    await save(1, 100, 'abandoned attempt');
    expect((await customers.findOne({ _id: 'c1' }))?.stage).toBe('abandoned attempt');
    await save(1, 200, 'rerun task');
    expect((await customers.findOne({ _id: 'c1' }))?.stage).toBe('rerun task');
    await save(1, 100, 'abandoned attempt, arriving last');
    expect(await customers.findOne({ _id: 'c1' })).toEqual({ _id: 'c1', revision: 1, writtenAt: 200, stage: 'rerun task' });
    await save(2, 50, 'next revision');
    expect((await customers.findOne({ _id: 'c1' }))?.stage).toBe('next revision');
  });

  it('updateOne upsert guarded by revision inserts when missing, updates a lower revision, and throws 11000 leaving a higher one unchanged', async () => {
    const customers = fresh<Cust>('customers');
    const save = (revision: number, stage: string) => customers.updateOne(
      { _id: 'c1', $or: [{ revision: { $lt: revision } }, { revision: { $exists: false } }] },
      { $set: { revision, stage } },
      { upsert: true },
    );

    const inserted = await save(3, 'new');
    expect(inserted.upsertedCount).toBe(1);
    expect(inserted.upsertedId).toBe('c1');
    expect(await customers.findOne({ _id: 'c1' })).toEqual({ _id: 'c1', revision: 3, stage: 'new' });

    const updated = await save(5, 'active');
    expect(updated.matchedCount).toBe(1);
    expect(updated.modifiedCount).toBe(1);
    expect(updated.upsertedCount).toBe(0);
    expect(await customers.findOne({ _id: 'c1' })).toEqual({ _id: 'c1', revision: 5, stage: 'active' });

    const err = await rejection(save(4, 'stale'));
    expect(err).toBeInstanceOf(MongoServerError);
    expect((err as MongoServerError).code).toBe(11000);
    expect(isDuplicateKey(err)).toBe(true);
    expect(await customers.findOne({ _id: 'c1' })).toEqual({ _id: 'c1', revision: 5, stage: 'active' });
    expect(await customers.countDocuments({})).toBe(1);

    // A document stored without a revision is replaced by any revision.
    await customers.insertOne({ _id: 'c2', stage: 'legacy' });
    await customers.updateOne(
      { _id: 'c2', $or: [{ revision: { $lt: 1 } }, { revision: { $exists: false } }] },
      { $set: { revision: 1, stage: 'new' } },
      { upsert: true },
    );
    expect(await customers.findOne({ _id: 'c2' })).toEqual({ _id: 'c2', revision: 1, stage: 'new' });
  });

  it('findOneAndUpdate upsert with $setOnInsert returns the document after and keeps the first writer\'s value', async () => {
    const identities = fresh<Ident>('identities');
    const claim = (customerId: string) => identities.findOneAndUpdate(
      { _id: 'phone:+8613800000000' },
      { $setOnInsert: { type: 'phone', customerId, createdAt: new Date('2024-01-01T00:00:00Z') } },
      { upsert: true, returnDocument: 'after' },
    );

    const first = await claim('c-first');
    // Driver 7: the document itself, not { value }.
    expect(first).toEqual({ _id: 'phone:+8613800000000', type: 'phone', customerId: 'c-first', createdAt: new Date('2024-01-01T00:00:00Z') });

    const second = await claim('c-second');
    expect(second?.customerId).toBe('c-first');
    expect(await identities.countDocuments({})).toBe(1);
  });

  it('findOneAndUpdate upserts racing on one new _id leave one document; each call returns it or throws 11000', async () => {
    const identities = fresh<Ident>('identities');
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => identities.findOneAndUpdate(
      { _id: 'email:ana@example.com' },
      { $setOnInsert: { type: 'email', customerId: `c${String(i).padStart(2, '0')}`, createdAt: new Date() } },
      { upsert: true, returnDocument: 'after' },
    )));

    const docs = await identities.find({}).toArray();
    expect(docs).toHaveLength(1);
    const winner = docs[0]!.customerId;
    expect(winner).toMatch(/^c\d\d$/);
    for (const r of results) {
      if (r.status === 'fulfilled') {
        expect(r.value?.customerId).toBe(winner);
      } else {
        expect((r.reason as MongoServerError).code).toBe(11000);
        expect(isDuplicateKey(r.reason)).toBe(true);
      }
    }
    expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
  });

  it('find with _id $in and a projection returns only the matching documents and projected fields', async () => {
    const identities = fresh<Ident>('identities');
    await identities.insertMany([
      { _id: 'phone:1', type: 'phone', customerId: 'c1', createdAt: new Date() },
      { _id: 'email:a', type: 'email', customerId: 'c2', createdAt: new Date() },
      { _id: 'email:b', type: 'email', customerId: 'c3', createdAt: new Date() },
    ]);
    const docs = await identities.find({ _id: { $in: ['phone:1', 'email:b', 'email:missing'] } }, { projection: { customerId: 1 } }).toArray();
    expect(docs.sort((a, b) => a._id.localeCompare(b._id))).toEqual([
      { _id: 'email:b', customerId: 'c3' },
      { _id: 'phone:1', customerId: 'c1' },
    ]);
  });

  it('_id (equal or $in) beside other conditions finds, updates and deletes only documents meeting all of them; a failed condition on upsert is 11000', async () => {
    const customers = fresh<Cust>('customers');
    await customers.insertMany([{ _id: 'c1', revision: 3, stage: 'active' }, { _id: 'c2', revision: 1 }, { _id: 'c3' }]);
    expect(await customers.findOne({ _id: 'c1', stage: 'active' })).toEqual({ _id: 'c1', revision: 3, stage: 'active' });
    expect(await customers.findOne({ _id: 'c1', stage: 'lapsed' })).toBeNull();
    expect(await customers.findOne({ _id: 'c1', $or: [{ revision: { $lt: 3 } }, { revision: { $exists: false } }] })).toBeNull();
    const low = await customers.find({ _id: { $in: ['c1', 'c2', 'c3', 'c9'] }, $or: [{ revision: { $lt: 3 } }, { revision: { $exists: false } }] }).toArray();
    expect(low.map((d) => d._id).sort()).toEqual(['c2', 'c3']);

    const raised = await customers.updateOne({ _id: 'c2', revision: { $lt: 2 } }, { $set: { revision: 2 } });
    expect([raised.matchedCount, raised.modifiedCount]).toEqual([1, 1]);
    const kept = await customers.updateOne({ _id: 'c2', revision: { $lt: 2 } }, { $set: { revision: 9 } });
    expect(kept.matchedCount).toBe(0);
    const refused = await rejection(customers.updateOne({ _id: 'c1', revision: { $lt: 3 } }, { $set: { revision: 1 } }, { upsert: true }));
    expect(isDuplicateKey(refused)).toBe(true);
    expect((await customers.deleteOne({ _id: 'c3', stage: 'active' })).deletedCount).toBe(0);
    expect((await customers.deleteOne({ _id: 'c3', revision: { $exists: false } })).deletedCount).toBe(1);
    expect(await customers.find({}).sort({ _id: 1 }).toArray()).toEqual([{ _id: 'c1', revision: 3, stage: 'active' }, { _id: 'c2', revision: 2 }]);
  });

  it('updateMany with customerId $in and $set moves every matching document and no other', async () => {
    const events = fresh<Ev>('events');
    const t = new Date('2024-01-01T00:00:00Z');
    await events.insertMany([
      { _id: 'e1', customerId: 'c2', timestamp: t },
      { _id: 'e2', customerId: 'c3', timestamp: t },
      { _id: 'e3', customerId: 'c3', timestamp: t },
      { _id: 'e4', customerId: 'c4', timestamp: t },
      { _id: 'e5', customerId: 'c1', timestamp: t },
    ]);
    const res = await events.updateMany({ customerId: { $in: ['c2', 'c3', 'c9'] } }, { $set: { customerId: 'c1' } });
    expect(res.matchedCount).toBe(3);
    expect(res.modifiedCount).toBe(3);
    const owners = Object.fromEntries((await events.find({}).toArray()).map((d) => [d._id, d.customerId]));
    expect(owners).toEqual({ e1: 'c1', e2: 'c1', e3: 'c1', e4: 'c4', e5: 'c1' });
  });

  it('deleteOne and deleteMany with $or of _id and another field report deletedCount', async () => {
    const customers = fresh<Cust>('customers');
    await customers.insertMany([
      { _id: 'c1' },
      { _id: 'c2', mergedInto: 'c1' },
      { _id: 'c3', mergedInto: 'c1' },
      { _id: 'c4', mergedInto: 'c9' },
      { _id: 'c5' },
    ]);
    const one = await customers.deleteOne({ $or: [{ _id: 'c5' }, { mergedInto: 'c5' }] });
    expect(one.deletedCount).toBe(1);
    const none = await customers.deleteOne({ $or: [{ _id: 'c7' }, { mergedInto: 'c7' }] });
    expect(none.deletedCount).toBe(0);
    const many = await customers.deleteMany({ $or: [{ _id: 'c1' }, { mergedInto: 'c1' }] });
    expect(many.deletedCount).toBe(3);
    expect((await customers.find({}).toArray()).map((d) => d._id)).toEqual(['c4']);
  });

  it('timeline pagination by ($lt timestamp) or (equal timestamp and $lt _id), sorted timestamp -1 _id -1, walks every page with no duplicates or gaps', async () => {
    const events = fresh<Ev>('events');
    const at = (s: string) => new Date(`2024-03-01T10:00:${s}.000Z`);
    const mine: Ev[] = [
      { _id: 'm-a', customerId: 'c1', timestamp: at('01') },
      { _id: 'm-b', customerId: 'c1', timestamp: at('02') },
      { _id: 'm-c', customerId: 'c1', timestamp: at('02') },
      { _id: 'm-d', customerId: 'c1', timestamp: at('02') },
      { _id: 'm-e', customerId: 'c1', timestamp: at('03') },
      { _id: 'm-f', customerId: 'c1', timestamp: at('04') },
      { _id: 'm-g', customerId: 'c1', timestamp: at('04') },
    ];
    await events.insertMany([
      ...mine,
      { _id: 'o-1', customerId: 'c2', timestamp: at('02') },
      { _id: 'o-2', customerId: 'c2', timestamp: at('05') },
    ]);
    const expected = ['m-g', 'm-f', 'm-e', 'm-d', 'm-c', 'm-b', 'm-a'];

    const page = (limit: number, before?: { timestamp: Date; id: string }) => {
      const filter: Record<string, unknown> = { customerId: 'c1' };
      if (before) filter.$or = [{ timestamp: { $lt: before.timestamp } }, { timestamp: before.timestamp, _id: { $lt: before.id } }];
      return events.find(filter).sort({ timestamp: -1, _id: -1 }).limit(limit).toArray();
    };

    // The first page, and one exact next page from the middle of a run of equal timestamps.
    expect((await page(3)).map((d) => d._id)).toEqual(['m-g', 'm-f', 'm-e']);
    expect((await page(2, { timestamp: at('02'), id: 'm-d' })).map((d) => d._id)).toEqual(['m-c', 'm-b']);

    for (const limit of [1, 2, 3, 7, 10]) {
      const seen: string[] = [];
      const pageSizes: number[] = [];
      let before: { timestamp: Date; id: string } | undefined;
      for (let guard = 0; guard < 20; guard++) {
        const docs = await page(limit, before);
        pageSizes.push(docs.length);
        for (const d of docs) {
          expect(d.timestamp).toBeInstanceOf(Date);
          seen.push(d._id);
        }
        if (docs.length < limit) break;
        const last = docs[docs.length - 1]!;
        before = { timestamp: last.timestamp, id: last._id };
      }
      expect(seen, `limit ${limit}`).toEqual(expected);
      expect(pageSizes.slice(0, -1).every((n) => n === limit), `limit ${limit}`).toBe(true);
    }
  });

  it('countDocuments filters on a nested field', async () => {
    const customers = fresh<Cust>('customers');
    await customers.insertMany([
      { _id: 'c1', counters: { events: 1 } },
      { _id: 'c2', counters: { events: 2 } },
      { _id: 'c3', counters: { events: 1 } },
      { _id: 'c4' },
    ]);
    expect(await customers.countDocuments({ 'counters.events': 1 })).toBe(2);
    expect(await customers.countDocuments({ 'counters.events': 5 })).toBe(0);
    expect(await customers.countDocuments({})).toBe(4);
  });

  it('createIndexes through the mongoose models builds the timeline and identity indexes', async () => {
    const connection = mongoose.createConnection(uri, { dbName, autoIndex: false, serverSelectionTimeoutMS: 5000 });
    try {
      await connection.asPromise();
      const models = createModels(connection);
      await Promise.all([models.Customer, models.Event, models.Identity].map((m) => m.createIndexes()));

      const eventIndexes = await db.collection('events').listIndexes().toArray();
      expect(eventIndexes.map((i) => i.key)).toContainEqual({ customerId: 1, timestamp: -1, _id: -1 });
      const identityIndexes = await db.collection('identities').listIndexes().toArray();
      expect(identityIndexes.map((i) => i.key)).toContainEqual({ customerId: 1 });
      const customerIndexes = await db.collection('customers').listIndexes().toArray();
      expect(customerIndexes.map((i) => i.key)).toEqual(expect.arrayContaining([{ stage: 1 }, { tier: 1 }, { tags: 1 }]));
      // Building them again is a no-op, as on every worker start.
      await Promise.all([models.Customer, models.Event, models.Identity].map((m) => m.createIndexes()));
    } finally {
      await connection.close();
    }
  });

  it('a unique index rejects a second document with the same key with 11000', async () => {
    const users = fresh<{ _id: string; email: string }>('unique');
    await users.createIndex({ email: 1 }, { unique: true });
    await users.insertOne({ _id: 'u1', email: 'ana@example.com' });
    const err = await rejection(users.insertOne({ _id: 'u2', email: 'ana@example.com' }));
    expect(err).toBeInstanceOf(MongoServerError);
    expect((err as MongoServerError).code).toBe(11000);
    expect(isDuplicateKey(err)).toBe(true);
    await users.insertOne({ _id: 'u3', email: 'bob@example.com' });
    expect(await users.countDocuments({})).toBe(2);
  });

  it('updateOne $min on a Date sets a missing field, keeps an earlier value and lowers a later one (message reaction times)', async () => {
    interface Msg { _id: string; openedAt?: Date; updatedAt?: Date }
    const messages = fresh<Msg>('messages');
    await messages.insertOne({ _id: 'm1' });
    const first = new Date('2024-05-01T10:00:00Z');
    const set = await messages.updateOne({ _id: 'm1' }, { $min: { openedAt: first }, $set: { updatedAt: first } });
    expect(set.matchedCount).toBe(1);
    expect((await messages.findOne({ _id: 'm1' }))?.openedAt).toEqual(first);

    await messages.updateOne({ _id: 'm1' }, { $min: { openedAt: new Date('2024-05-02T10:00:00Z') } });
    expect((await messages.findOne({ _id: 'm1' }))?.openedAt).toEqual(first);

    const earlier = new Date('2024-04-30T10:00:00Z');
    await messages.updateOne({ _id: 'm1' }, { $min: { openedAt: earlier } });
    expect(await messages.findOne({ _id: 'm1' })).toEqual({ _id: 'm1', openedAt: earlier, updatedAt: first });
  });

  it('updateOne filtered on status $in moves only a document whose status is listed; findOne by providerId and channel', async () => {
    interface Msg { _id: string; status: string; channel: string; providerId?: string; reason?: string; failedAt?: Date }
    const messages = fresh<Msg>('messages');
    await messages.insertMany([
      { _id: 'm1', status: 'sent', channel: 'email', providerId: 'p1' },
      { _id: 'm2', status: 'clicked', channel: 'email', providerId: 'p2' },
    ]);
    const at = new Date('2024-05-01T10:00:00Z');
    const bounce = (id: string) => messages.updateOne(
      { _id: id, status: { $in: ['queued', 'sent', 'delivered'] } },
      { $set: { status: 'bounced', reason: 'mailbox full' }, $min: { failedAt: at } },
    );
    expect((await bounce('m1')).matchedCount).toBe(1);
    const untouched = await bounce('m2');
    expect(untouched.matchedCount).toBe(0);
    expect(untouched.modifiedCount).toBe(0);
    expect(await messages.findOne({ _id: 'm1' })).toEqual({ _id: 'm1', status: 'bounced', channel: 'email', providerId: 'p1', reason: 'mailbox full', failedAt: at });
    expect(await messages.findOne({ _id: 'm2' })).toEqual({ _id: 'm2', status: 'clicked', channel: 'email', providerId: 'p2' });

    expect((await messages.findOne({ providerId: 'p2', channel: 'email' }))?._id).toBe('m2');
    expect(await messages.findOne({ providerId: 'p2', channel: 'sms' })).toBeNull();
  });

  it('insertOne of an existing _id throws 11000 and leaves the first; deleteOne by _id frees it (webhook receipts)', async () => {
    const receipts = fresh<{ _id: string; receivedAt: Date }>('receipts');
    const first = new Date('2024-05-01T10:00:00Z');
    await receipts.insertOne({ _id: 'sms:evt-1', receivedAt: first });
    const err = await rejection(receipts.insertOne({ _id: 'sms:evt-1', receivedAt: new Date() }));
    expect(err).toBeInstanceOf(MongoServerError);
    expect((err as MongoServerError).code).toBe(11000);
    expect(await receipts.findOne({ _id: 'sms:evt-1' })).toEqual({ _id: 'sms:evt-1', receivedAt: first });

    expect((await receipts.deleteOne({ _id: 'sms:evt-1' })).deletedCount).toBe(1);
    await receipts.insertOne({ _id: 'sms:evt-1', receivedAt: new Date() });
    expect(await receipts.countDocuments({})).toBe(1);
  });

  it('ping answers ok: 1', async () => {
    const res = await db.command({ ping: 1 });
    expect(res.ok).toBe(1);
  });

  it('findOneAndUpdate on _id and status with $inc and $set, returnDocument before, claims a queued send once; a settled one gives null, unchanged (send ledger)', async () => {
    interface Send { _id: string; status: string; attempts: number; links: string[] }
    const messages = fresh<Send>('messages');
    await messages.insertMany([{ _id: 'k1', status: 'queued', attempts: 0, links: [] }, { _id: 'k2', status: 'sent', attempts: 1, links: ['a'] }]);
    const claim = (id: string) => messages.findOneAndUpdate({ _id: id, status: 'queued' }, { $inc: { attempts: 1 }, $set: { links: ['https://x.example/1'] } }, { returnDocument: 'before' });

    expect(await claim('k1')).toEqual({ _id: 'k1', status: 'queued', attempts: 0, links: [] });
    expect(await claim('k1')).toEqual({ _id: 'k1', status: 'queued', attempts: 1, links: ['https://x.example/1'] });
    expect(await messages.findOne({ _id: 'k1' })).toEqual({ _id: 'k1', status: 'queued', attempts: 2, links: ['https://x.example/1'] });
    expect(await claim('k2')).toBeNull();
    expect(await claim('missing')).toBeNull();
    expect(await messages.findOne({ _id: 'k2' })).toEqual({ _id: 'k2', status: 'sent', attempts: 1, links: ['a'] });
    expect(await messages.countDocuments({})).toBe(2);

    // Concurrent claims: each sees a different attempts count before its own.
    const befores = await Promise.all(Array.from({ length: 5 }, () => claim('k1')));
    expect(befores.map((b) => b?.attempts).sort()).toEqual([2, 3, 4, 5, 6]);
  });

  it('updateOne with $or of (status) and (status and reason), $set and $unset, matches only those statuses and removes the fields (send ledger)', async () => {
    interface Send { _id: string; status: string; reason?: string; failedAt?: Date; providerId?: string }
    const messages = fresh<Send>('messages');
    const at = new Date('2024-05-01T10:00:00Z');
    await messages.insertMany([
      { _id: 'queued', status: 'queued' },
      { _id: 'unknown', status: 'failed', reason: 'outcome_unknown', failedAt: at },
      { _id: 'bad', status: 'failed', reason: 'bad_address', failedAt: at },
    ]);
    const markSent = (id: string) => messages.updateOne(
      { _id: id, $or: [{ status: 'queued' }, { status: 'failed', reason: 'outcome_unknown' }] },
      { $set: { status: 'sent', providerId: `p-${id}` }, $unset: { reason: '', failedAt: '' } },
    );
    expect((await markSent('queued')).matchedCount).toBe(1);
    expect((await markSent('unknown')).modifiedCount).toBe(1);
    expect((await markSent('bad')).matchedCount).toBe(0);
    expect(await messages.find({}).sort({ _id: 1 }).toArray()).toEqual([
      { _id: 'bad', status: 'failed', reason: 'bad_address', failedAt: at },
      { _id: 'queued', status: 'sent', providerId: 'p-queued' },
      { _id: 'unknown', status: 'sent', providerId: 'p-unknown' },
    ]);
  });

  it('updateOne upsert with $setOnInsert inserts once; on an existing _id it matches and changes nothing (outbox)', async () => {
    const outbox = fresh<{ _id: string; body: string }>('outbox');
    const record = (body: string) => outbox.updateOne({ _id: 'k1' }, { $setOnInsert: { body } }, { upsert: true });
    expect(await record('first')).toMatchObject({ matchedCount: 0, upsertedCount: 1, upsertedId: 'k1' });
    expect(await record('second')).toMatchObject({ matchedCount: 1, modifiedCount: 0, upsertedCount: 0 });
    expect(await outbox.find({}).toArray()).toEqual([{ _id: 'k1', body: 'first' }]);
  });

  it('find by customerId and type, sorted createdAt -1 then _id, limit 1, gives the newest address', async () => {
    const identities = fresh<Ident>('identities');
    await identities.insertMany([
      { _id: 'email:old@example.com', type: 'email', customerId: 'c1', createdAt: new Date('2024-01-01T00:00:00Z') },
      { _id: 'email:new@example.com', type: 'email', customerId: 'c1', createdAt: new Date('2024-03-01T00:00:00Z') },
      { _id: 'phone:+8613800000000', type: 'phone', customerId: 'c1', createdAt: new Date('2024-04-01T00:00:00Z') },
      { _id: 'email:other@example.com', type: 'email', customerId: 'c2', createdAt: new Date('2024-05-01T00:00:00Z') },
    ]);
    const newest = (customerId: string, type: string) => identities.find({ customerId, type }).sort({ createdAt: -1, _id: 1 }).limit(1).toArray();
    expect((await newest('c1', 'email')).map((d) => d._id)).toEqual(['email:new@example.com']);
    expect(await newest('c1', 'wechat_openid')).toEqual([]);
  });

  it('replaceOne by _id replaces the whole document and reports matchedCount 1, or 0 for a missing _id; findOne with a projection (templates)', async () => {
    interface Tpl { _id: string; channel: string; subject?: string; body: string; locales: Record<string, { body: string }>; createdAt: Date }
    const templates = fresh<Tpl>('templates');
    const createdAt = new Date('2024-05-01T00:00:00Z');
    await templates.insertOne({ _id: 't1', channel: 'email', subject: 'Hi', body: 'a', locales: { 'zh-CN': { body: '你好' } }, createdAt });
    expect(await templates.findOne({ _id: 't1' }, { projection: { createdAt: 1 } })).toEqual({ _id: 't1', createdAt });

    const replaced = await templates.replaceOne({ _id: 't1' }, { channel: 'sms', body: 'b', locales: {}, createdAt });
    expect(replaced.matchedCount).toBe(1);
    expect(replaced.modifiedCount).toBe(1);
    expect(await templates.findOne({ _id: 't1' })).toEqual({ _id: 't1', channel: 'sms', body: 'b', locales: {}, createdAt });
    const missing = await templates.replaceOne({ _id: 't9' }, { channel: 'sms', body: 'b', locales: {}, createdAt });
    expect(missing.matchedCount).toBe(0);
    expect(await templates.countDocuments({})).toBe(1);
  });

  it('mixed and nested documents (dicts, arrays, Dates, empty objects) round-trip unchanged', async () => {
    const docs = fresh<Record<string, unknown> & { _id: string }>('mixed');
    const doc = {
      _id: 'd1',
      properties: {
        total: 320.5,
        items: [{ sku: 'a', qty: 2, tags: ['x', 'y'] }, { sku: 'b', qty: 1, tags: [] }],
        nested: { deep: { deeper: { value: 'v', when: new Date('2024-05-06T07:08:09.123Z') } } },
        empty: {},
        flag: false,
        nothing: null,
      },
      traits: { name: 'Ana', emails: ['a@example.com'], address: { city: 'Shanghai', geo: [121.47, 31.23] } },
      consent: {},
      tags: [],
      timestamp: new Date('2024-05-06T07:08:09.999Z'),
    };
    await docs.insertOne(structuredClone(doc));
    expect(await docs.findOne({ _id: 'd1' })).toEqual(doc);

    // The profile write path: $set of a whole profile with an empty consent on an upsert.
    await docs.updateOne({ _id: 'd2' }, { $set: { consent: {}, traits: {}, counters: { events: 1 } } }, { upsert: true });
    expect(await docs.findOne({ _id: 'd2' })).toEqual({ _id: 'd2', consent: {}, traits: {}, counters: { events: 1 } });
  });

  it('updateOne $inc with upsert creates a counter at 1 and increments it; racing first upserts leave one document (catalog revision)', async () => {
    const counters = fresh<{ _id: string; value: number }>('counters');
    const bump = () => counters.updateOne({ _id: 'journey_catalog' }, { $inc: { value: 1 } }, { upsert: true });
    expect(await bump()).toMatchObject({ matchedCount: 0, upsertedCount: 1, upsertedId: 'journey_catalog' });
    expect(await bump()).toMatchObject({ matchedCount: 1, modifiedCount: 1, upsertedCount: 0 });
    expect(await counters.findOne({ _id: 'journey_catalog' })).toEqual({ _id: 'journey_catalog', value: 2 });

    const race = fresh<{ _id: string; value: number }>('counters');
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => race.updateOne({ _id: 'c' }, { $inc: { value: 1 } }, { upsert: true })));
    // MongoDB may answer a losing first upsert with 11000; the product retries it once.
    const lost = results.filter((r) => r.status === 'rejected');
    for (const r of lost) expect(isDuplicateKey((r as PromiseRejectedResult).reason)).toBe(true);
    for (const _ of lost) await race.updateOne({ _id: 'c' }, { $inc: { value: 1 } }, { upsert: true });
    expect(await race.find({}).toArray()).toEqual([{ _id: 'c', value: 10 }]);
  });

  it('updateOne guarded by status $ne and a number $lte, and deleteOne guarded by status and a number, touch only matching documents (journeys)', async () => {
    interface Jny { _id: string; status: string; latestVersion: number }
    const journeys = fresh<Jny>('journeys');
    await journeys.insertMany([{ _id: 'j1', status: 'draft', latestVersion: 0 }, { _id: 'j2', status: 'archived', latestVersion: 1 }, { _id: 'j3', status: 'active', latestVersion: 3 }]);
    const publish = (id: string, version: number) => journeys.updateOne(
      { _id: id, status: { $ne: 'archived' }, latestVersion: { $lte: version } },
      { $set: { status: 'active', latestVersion: version } },
    );
    expect((await publish('j1', 1)).matchedCount).toBe(1);
    expect((await publish('j2', 2)).matchedCount).toBe(0);
    expect((await publish('j3', 2)).matchedCount).toBe(0);
    expect(await journeys.find({}).sort({ _id: 1 }).toArray()).toEqual([
      { _id: 'j1', status: 'active', latestVersion: 1 }, { _id: 'j2', status: 'archived', latestVersion: 1 }, { _id: 'j3', status: 'active', latestVersion: 3 },
    ]);

    const live = await journeys.find({ status: { $in: ['active', 'paused'] }, latestVersion: { $gt: 0 } }, { projection: { latestVersion: 1 } }).sort({ _id: 1 }).toArray();
    expect(live).toEqual([{ _id: 'j1', latestVersion: 1 }, { _id: 'j3', latestVersion: 3 }]);

    await journeys.insertOne({ _id: 'j4', status: 'draft', latestVersion: 0 });
    expect((await journeys.deleteOne({ _id: 'j1', status: 'draft', latestVersion: 0 })).deletedCount).toBe(0);
    expect((await journeys.deleteOne({ _id: 'j4', status: 'draft', latestVersion: 0 })).deletedCount).toBe(1);
    expect(await journeys.countDocuments({})).toBe(3);
  });

  it('find with an exclusion projection, and find by a field sorted descending with limit 1 and an inclusion projection (journey versions)', async () => {
    interface Ver { _id: string; journeyId: string; version: number; definition: { steps: Record<string, { type: string }> } }
    const versions = fresh<Ver>('journey_versions');
    const def = { steps: { await_visit: { type: 'wait' }, done: { type: 'exit' } } };
    await versions.insertMany([1, 3, 2].map((v) => ({ _id: `j1@${v}`, journeyId: 'j1', version: v, definition: def })));
    await versions.insertOne({ _id: 'j2@7', journeyId: 'j2', version: 7, definition: def });
    expect(await versions.find({ journeyId: 'j1' }, { projection: { version: 1 } }).sort({ version: -1 }).limit(1).toArray()).toEqual([{ _id: 'j1@3', version: 3 }]);
    expect(await versions.find({ journeyId: 'j9' }).sort({ version: -1 }).limit(1).toArray()).toEqual([]);
    expect(await versions.find({ journeyId: 'j2' }, { projection: { definition: 0 } }).toArray()).toEqual([{ _id: 'j2@7', journeyId: 'j2', version: 7 }]);
    expect((await versions.findOne({ _id: 'j1@2' }))?.definition).toEqual(def);
  });

  it('$elemMatch matches a document only when one array element has both values; a cursor with batchSize yields every match (journey migration)', async () => {
    interface Enrolled { _id: string; journeys?: { journeyId: string; version: number; stepId: string }[] }
    const customers = fresh<Enrolled>('customers');
    await customers.insertMany([
      { _id: 'c1', journeys: [{ journeyId: 'welcome', version: 1, stepId: 'wait' }] },
      { _id: 'c2', journeys: [{ journeyId: 'welcome', version: 2, stepId: 'wait' }, { journeyId: 'winback', version: 1, stepId: 'send' }] },
      { _id: 'c3', journeys: [] },
      { _id: 'c4' },
      ...Array.from({ length: 7 }, (_, i) => ({ _id: `m${i}`, journeys: [{ journeyId: 'winback', version: 2, stepId: 'x' }, { journeyId: 'welcome', version: 1, stepId: 'y' }] })),
    ]);
    const ids = async (journeyId: string, version: number) => {
      const found: string[] = [];
      for await (const d of customers.find({ journeys: { $elemMatch: { journeyId, version } } }, { projection: { _id: 1 } }).batchSize(3)) found.push(d._id);
      return found.sort();
    };
    expect(await ids('welcome', 1)).toEqual(['c1', 'm0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    // c2 has welcome (v2) and some v1 (winback), but no welcome v1.
    expect(await ids('winback', 1)).toEqual(['c2']);
    expect(await ids('welcome', 3)).toEqual([]);
  });

  it('createIndexes through the mongoose models builds the journey indexes and the multikey journeys.journeyId index on customers', async () => {
    const connection = mongoose.createConnection(uri, { dbName, autoIndex: false, serverSelectionTimeoutMS: 5000 });
    try {
      await connection.asPromise();
      const models = createModels(connection);
      await Promise.all([models.Customer, models.Journey, models.JourneyVersion].map((m) => m.createIndexes()));
      expect((await db.collection('customers').listIndexes().toArray()).map((i) => i.key)).toContainEqual({ 'journeys.journeyId': 1 });
      expect((await db.collection('journeys').listIndexes().toArray()).map((i) => i.key)).toContainEqual({ status: 1 });
      expect((await db.collection('journey_versions').listIndexes().toArray()).map((i) => i.key)).toContainEqual({ journeyId: 1, version: -1 });
    } finally {
      await connection.close();
    }
  });

  it('segment filters: equality, $ne, $in and ordering match an array by any element and compare only values of the same type', async () => {
    interface Seg { _id: string; f?: unknown }
    const customers = fresh<Seg>('customers');
    await customers.insertMany([
      { _id: 'num', f: 5 }, { _id: 'text', f: '5' }, { _id: 'list', f: [5, 6] }, { _id: 'nulls', f: [null] }, { _id: 'null', f: null },
      { _id: 'missing' }, { _id: 'word', f: 'xabcx' }, { _id: 'words', f: ['xabcx'] }, { _id: 'exact', f: ['abc'] }, { _id: 'empty', f: [] }, { _id: 'true', f: true },
    ]);
    const ids = async (filter: Record<string, unknown>) => (await customers.find(filter, { projection: { _id: 1 } }).toArray()).map((d) => d._id).sort();
    expect(await ids({ f: 5 })).toEqual(['list', 'num']);
    expect(await ids({ f: { $ne: 5 } })).toEqual(['empty', 'exact', 'missing', 'null', 'nulls', 'text', 'true', 'word', 'words']);
    expect(await ids({ f: { $in: [5, 'abc'] } })).toEqual(['exact', 'list', 'num']);
    expect(await ids({ f: { $in: [] } })).toEqual([]);
    expect(await ids({ f: { $gt: 4 } })).toEqual(['list', 'num']);
    expect(await ids({ f: { $gte: '5' } })).toEqual(['exact', 'text', 'word', 'words']);
    expect(await ids({ f: true })).toEqual(['true']);
    expect(await ids({ _id: { $nin: ['num', 'text', 'list', 'nulls', 'null', 'missing', 'word', 'words'] } })).toEqual(['empty', 'exact', 'true']);
  });

  it('segment filters: $type array, $ne null, $regex with $not $type array, $and / $or / $nor, and $exists false compose as documented', async () => {
    interface Seg { _id: string; f?: unknown; mergedInto?: string }
    const customers = fresh<Seg>('customers');
    await customers.insertMany([
      { _id: 'num', f: 5 }, { _id: 'list', f: [5, 6] }, { _id: 'nulls', f: [null] }, { _id: 'null', f: null }, { _id: 'missing' },
      { _id: 'word', f: 'xabcx' }, { _id: 'words', f: ['xabcx'] }, { _id: 'exact', f: ['abc'] }, { _id: 'empty', f: [] }, { _id: 'merged', f: 5, mergedInto: 'num' },
    ]);
    const ids = async (filter: Record<string, unknown>) => (await customers.find(filter, { projection: { _id: 1 } }).toArray()).map((d) => d._id).sort();
    const present = { $or: [{ f: { $type: 'array' } }, { f: { $ne: null } }] };
    expect(await ids({ f: { $type: 'array' } })).toEqual(['empty', 'exact', 'list', 'nulls', 'words']);
    expect(await ids(present)).toEqual(['empty', 'exact', 'list', 'merged', 'nulls', 'num', 'word', 'words']);
    expect(await ids({ $nor: [present] })).toEqual(['missing', 'null']);
    expect(await ids({ f: { $regex: 'abc' } })).toEqual(['exact', 'word', 'words']);
    expect(await ids({ f: { $regex: 'abc', $not: { $type: 'array' } } })).toEqual(['word']);
    expect(await ids({ $and: [{ f: { $type: 'array' } }, { f: 'abc' }] })).toEqual(['exact']);
    expect(await ids({ f: { $regex: 'a\\.c' } })).toEqual([]);
    const segment = { $and: [{ mergedInto: { $exists: false } }, { $or: [{ $and: [{ f: { $type: 'array' } }, { f: 5 }] }, { $nor: [{ f: { $ne: 5 } }] }] }] };
    expect(await ids(segment)).toEqual(['list', 'num']);
    expect(await customers.countDocuments(segment)).toBe(2);
    expect(await ids({ $and: [{}, { $nor: [{}] }] })).toEqual([]);
    const sample = await customers.find({ $and: [{ mergedInto: { $exists: false } }, present] }, { projection: { f: 1 } }).sort({ _id: 1 }).limit(2).toArray();
    expect(sample).toEqual([{ _id: 'empty', f: [] }, { _id: 'exact', f: ['abc'] }]);
  });

  it('aggregate $match on name, a timestamp range and properties, then $group by customer with $sum 1, then $match on the count (segment behaviour)', async () => {
    interface Evt { _id: string; customerId: string; name: string; timestamp: Date; properties: Record<string, unknown> }
    const events = fresh<Evt>('events');
    const at = (iso: string) => new Date(iso);
    await events.insertMany([
      { _id: 'e1', customerId: 'c1', name: 'Order Completed', timestamp: at('2026-03-04T00:00:00.000Z'), properties: { total: 600, category: ['gift', 'skincare'] } },
      { _id: 'e2', customerId: 'c1', name: 'Order Completed', timestamp: at('2026-03-10T23:59:59.999Z'), properties: { total: 700 } },
      { _id: 'e3', customerId: 'c2', name: 'Order Completed', timestamp: at('2026-03-05T10:00:00.000Z'), properties: { total: '900' } },
      { _id: 'e4', customerId: 'c2', name: 'Order Completed', timestamp: at('2026-03-03T23:59:59.999Z'), properties: { total: 900 } },
      { _id: 'e5', customerId: 'c3', name: 'Order Completed', timestamp: at('2026-03-11T00:00:00.000Z'), properties: { total: 900 } },
      { _id: 'e6', customerId: 'c3', name: 'Order Completed', timestamp: at('2026-03-06T00:00:00.000Z'), properties: { total: 550, category: 'skincare' } },
      { _id: 'e7', customerId: 'c3', name: 'Product Viewed', timestamp: at('2026-03-06T00:00:00.000Z'), properties: { total: 900 } },
    ]);
    const counts = (extra: Record<string, unknown>[], counted: Record<string, unknown>) => events.aggregate<{ _id: string; n: number }>([
      { $match: { name: 'Order Completed', timestamp: { $gte: at('2026-03-04T00:00:00.000Z'), $lt: at('2026-03-11T00:00:00.000Z') }, ...(extra.length > 0 && { $and: extra }) } },
      { $group: { _id: '$customerId', n: { $sum: 1 } } },
      { $match: counted },
    ]).toArray().then((rows) => rows.sort((a, b) => a._id.localeCompare(b._id)));
    expect(await counts([], { n: { $gte: 1 } })).toEqual([{ _id: 'c1', n: 2 }, { _id: 'c2', n: 1 }, { _id: 'c3', n: 1 }]);
    expect(await counts([{ 'properties.total': { $gte: 500 } }], { n: { $gte: 2, $lte: 4 } })).toEqual([{ _id: 'c1', n: 2 }]);
    expect(await counts([{ $and: [{ 'properties.category': { $type: 'array' } }, { 'properties.category': 'skincare' }] }], { n: { $gt: 0 } })).toEqual([{ _id: 'c1', n: 1 }]);
    expect(await counts([{ 'properties.total': { $gte: 500 } }], { n: { $gt: 1 } })).toEqual([{ _id: 'c1', n: 2 }]);
  });

  it('createIndexes through the mongoose models builds the events { name, timestamp } index and the segments collection\'s _id', async () => {
    const connection = mongoose.createConnection(uri, { dbName, autoIndex: false, serverSelectionTimeoutMS: 5000 });
    try {
      await connection.asPromise();
      const models = createModels(connection);
      await Promise.all([models.Event, models.Segment].map((m) => m.createIndexes()));
      expect((await db.collection('events').listIndexes().toArray()).map((i) => i.key)).toContainEqual({ name: 1, timestamp: 1 });
      await models.segments.insertOne({ _id: 's1', name: 'S', rule: { type: 'not', rule: { type: 'profile', field: 'tags', op: 'in', value: ['a', 1] } }, createdAt: new Date(0), updatedAt: new Date(0) });
      expect((await models.segments.updateOne({ _id: 's9' }, { $set: { name: 'x' } })).matchedCount).toBe(0);
      expect(await models.segments.findOne({ _id: 's1' }, { projection: { rule: 1 } })).toEqual({ _id: 's1', rule: { type: 'not', rule: { type: 'profile', field: 'tags', op: 'in', value: ['a', 1] } } });
    } finally {
      await connection.close();
    }
  });

  it('customers saved through the mongoose model keep an empty consent {} (minimize: false)', async () => {
    const connection = mongoose.createConnection(uri, { dbName, autoIndex: false, serverSelectionTimeoutMS: 5000 });
    try {
      await connection.asPromise();
      const { Customer } = createModels(connection);
      await Customer.create({
        _id: 'c1', stage: 'stranger', points: 0, counters: { events: 0, orders: 0, spend: 0 }, followed: false, registered: false,
        tags: [], consent: {}, traits: {}, recentMessageIds: [], mergedFrom: [], revision: 1, updatedAt: new Date('2024-01-01T00:00:00Z'),
      });
      const raw = await db.collection<{ _id: string; consent?: unknown; traits?: unknown }>('customers').findOne({ _id: 'c1' });
      expect(raw?.consent).toEqual({});
      expect(raw?.traits).toEqual({});
    } finally {
      await connection.close();
    }
  });
});

describe('MongoDB operations the reports rely on', () => {
  const at = (iso: string) => new Date(iso);
  const range = { $gte: at('2026-03-01T00:00:00.000Z'), $lt: at('2026-03-08T00:00:00.000Z') };
  const byId = <T extends { _id: unknown }>(rows: T[]): T[] => [...rows].sort((x, y) => String(x._id).localeCompare(String(y._id)));

  const day = (field: string) => ({ $dateToString: { format: '%Y-%m-%d', date: `$${field}` } });

  it('$match on an $or of date ranges, $group by {UTC day from $dateToString, field} with $addToSet and $sum of $cond on $ifNull (channels by day)', async () => {
    interface Msg { _id: string; customerId: string; channel: string; sentAt?: Date; deliveredAt?: Date | null; openedAt?: Date }
    const messages = fresh<Msg>('messages');
    await messages.insertMany([
      { _id: 'm1', customerId: 'a', channel: 'sms', sentAt: at('2026-03-01T00:00:00.000Z'), deliveredAt: at('2026-03-01T00:01:00.000Z'), openedAt: at('2026-03-01T00:02:00.000Z') },
      { _id: 'm2', customerId: 'a', channel: 'sms', sentAt: at('2026-03-01T23:59:59.999Z'), deliveredAt: null },
      { _id: 'm3', customerId: 'b', channel: 'sms', sentAt: at('2026-03-01T12:00:00.000Z') },
      { _id: 'm4', customerId: 'b', channel: 'email', sentAt: at('2026-03-05T00:00:00.000Z'), deliveredAt: at('2026-03-05T00:00:01.000Z') },
      { _id: 'm5', customerId: 'c', channel: 'email', sentAt: at('2026-03-03T00:00:00.000Z'), deliveredAt: at('2026-03-03T00:00:01.000Z') },
      { _id: 'm6', customerId: 'c', channel: 'email' },
    ]);
    const isSet = (field: string) => ({ $cond: [{ $ifNull: [`$${field}`, false] }, 1, 0] });
    const rows = await messages.aggregate<{ _id: { day: string; channel: string }; reached: string[]; sent: number; delivered: number; opened: number }>([
      { $match: { $or: [{ sentAt: { $gte: at('2026-03-01T00:00:00.000Z'), $lt: at('2026-03-02T00:00:00.000Z') } }, { sentAt: { $gte: at('2026-03-05T00:00:00.000Z'), $lt: at('2026-03-06T00:00:00.000Z') } }] } },
      { $group: { _id: { day: day('sentAt'), channel: '$channel' }, reached: { $addToSet: '$customerId' }, sent: { $sum: 1 }, delivered: { $sum: isSet('deliveredAt') }, opened: { $sum: isSet('openedAt') } } },
    ]).toArray();
    expect(rows.map((r) => ({ ...r, reached: [...r.reached].sort() })).sort((x, y) => x._id.day.localeCompare(y._id.day))).toEqual([
      { _id: { day: '2026-03-01', channel: 'sms' }, reached: ['a', 'b'], sent: 3, delivered: 1, opened: 1 },
      { _id: { day: '2026-03-05', channel: 'email' }, reached: ['b'], sent: 1, delivered: 1, opened: 0 },
    ]);
  });

  it('$unwind dropping empty and missing arrays, $group by {day, two fields} with $addToSet of _id and $sum; "array.0" $exists false (conversions by day)', async () => {
    interface Conv { _id: string; at: Date; revenue: number; credits?: { model: string; channel: string; amount: number }[] }
    const conversions = fresh<Conv>('conversions');
    await conversions.insertMany([
      { _id: 'v1', at: at('2026-03-02T10:00:00.000Z'), revenue: 100, credits: [{ model: 'last_touch', channel: 'sms', amount: 100 }, { model: 'linear', channel: 'sms', amount: 50 }, { model: 'linear', channel: 'sms', amount: 50 }] },
      { _id: 'v2', at: at('2026-03-02T11:00:00.000Z'), revenue: 60, credits: [{ model: 'last_touch', channel: 'email', amount: 60 }, { model: 'linear', channel: 'sms', amount: 30 }, { model: 'linear', channel: 'email', amount: 30 }] },
      { _id: 'v3', at: at('2026-03-04T00:00:00.000Z'), revenue: 40, credits: [] },
      { _id: 'v4', at: at('2026-03-04T05:00:00.000Z'), revenue: 7.5 },
      { _id: 'v5', at: at('2026-03-09T00:00:00.000Z'), revenue: 999, credits: [{ model: 'linear', channel: 'sms', amount: 999 }] },
    ]);
    const match = { $match: { at: range } };
    const credited = await conversions.aggregate<{ _id: { day: string; model: string; channel: string }; converted: string[]; revenue: number }>([
      match, { $unwind: '$credits' },
      { $group: { _id: { day: day('at'), model: '$credits.model', channel: '$credits.channel' }, converted: { $addToSet: '$_id' }, revenue: { $sum: '$credits.amount' } } },
    ]).toArray();
    const key = (r: { _id: { model: string; channel: string } }) => `${r._id.model}/${r._id.channel}`;
    expect(credited.map((r) => ({ ...r, converted: [...r.converted].sort() })).sort((x, y) => key(x).localeCompare(key(y)))).toEqual([
      { _id: { day: '2026-03-02', model: 'last_touch', channel: 'email' }, converted: ['v2'], revenue: 60 },
      { _id: { day: '2026-03-02', model: 'last_touch', channel: 'sms' }, converted: ['v1'], revenue: 100 },
      { _id: { day: '2026-03-02', model: 'linear', channel: 'email' }, converted: ['v2'], revenue: 30 },
      { _id: { day: '2026-03-02', model: 'linear', channel: 'sms' }, converted: ['v1', 'v2'], revenue: 130 },
    ]);
    const unattributed = await conversions.aggregate([
      match, { $match: { 'credits.0': { $exists: false } } }, { $group: { _id: { day: day('at') }, conversions: { $sum: 1 }, revenue: { $sum: '$revenue' } } },
    ]).toArray();
    expect(unattributed).toEqual([{ _id: { day: '2026-03-04' }, conversions: 2, revenue: 47.5 }]);
  });

  it('$group by a compound key with missing fields puts those documents together (journey events by day)', async () => {
    interface JEv { _id: string; customerId: string; journeyId: string; type: string; stepId?: string; variant?: string; reason?: string; at: Date }
    const events = fresh<JEv>('journey_events');
    await events.insertMany([
      { _id: 'e1', customerId: 'c1', journeyId: 'j', type: 'entered', stepId: 'split', at: at('2026-03-01T00:00:00.000Z') },
      { _id: 'e2', customerId: 'c2', journeyId: 'j', type: 'entered', stepId: 'split', at: at('2026-03-01T08:00:00.000Z') },
      { _id: 'e3', customerId: 'c1', journeyId: 'j', type: 'exited', variant: 'a', reason: 'goal', at: at('2026-03-01T09:00:00.000Z') },
      { _id: 'e4', customerId: 'c2', journeyId: 'j', type: 'exited', variant: 'holdout', reason: 'holdout', at: at('2026-03-01T10:00:00.000Z') },
      { _id: 'e5', customerId: 'c2', journeyId: 'j', type: 'converted', variant: 'holdout', at: at('2026-03-02T10:00:00.000Z') },
      { _id: 'e6', customerId: 'c3', journeyId: 'other', type: 'entered', stepId: 'split', at: at('2026-03-01T00:00:00.000Z') },
    ]);
    const rows = await events.aggregate<{ _id: Record<string, string | null | undefined>; customers: string[] }>([
      { $match: { journeyId: 'j', at: range } },
      { $group: { _id: { day: day('at'), type: '$type', stepId: '$stepId', reason: '$reason', variant: '$variant' }, customers: { $addToSet: '$customerId' } } },
    ]).toArray();
    // MongoDB leaves a missing field out of the key; either way the documents without it share one group.
    const present = (id: Record<string, unknown>) => Object.fromEntries(Object.entries(id).filter(([, v]) => v !== undefined && v !== null));
    expect(rows.map((r) => ({ key: present(r._id), customers: [...r.customers].sort() })).sort((x, y) => JSON.stringify(x.key).localeCompare(JSON.stringify(y.key)))).toEqual([
      { key: { day: '2026-03-01', type: 'entered', stepId: 'split' }, customers: ['c1', 'c2'] },
      { key: { day: '2026-03-01', type: 'exited', reason: 'goal', variant: 'a' }, customers: ['c1'] },
      { key: { day: '2026-03-01', type: 'exited', reason: 'holdout', variant: 'holdout' }, customers: ['c2'] },
      { key: { day: '2026-03-02', type: 'converted', variant: 'holdout' }, customers: ['c2'] },
    ]);
  });

  it('stored day figures: find by _id $in, $inc upserts in bulk, an upsert whose filter no longer matches fails on the duplicate _id and changes nothing', async () => {
    const days = fresh<{ _id: string; writes: number; seen?: number; figures?: unknown }>('report_days');
    await days.bulkWrite(['d|1', 'd|2', 'd|1'].map((_id) => ({ updateOne: { filter: { _id }, update: { $inc: { writes: 1 } }, upsert: true } })), { ordered: false });
    expect(byId(await days.find({ _id: { $in: ['d|1', 'd|2', 'd|3'] } }).toArray())).toEqual([{ _id: 'd|1', writes: 2 }, { _id: 'd|2', writes: 1 }]);
    const store = (_id: string, writes: number) => ({ updateOne: { filter: { _id, writes }, update: { $set: { seen: writes, figures: [{ n: 1 }] } }, upsert: true } });
    const failed = await days.bulkWrite([store('d|1', 1), store('d|2', 1), store('d|3', 0)], { ordered: false }).then(() => undefined, (err: unknown) => err);
    expect((failed as { writeErrors?: { code: number }[] })?.writeErrors?.map((e) => e.code)).toEqual([11000]);
    expect(byId(await days.find({}).toArray())).toEqual([
      { _id: 'd|1', writes: 2 },
      { _id: 'd|2', writes: 1, seen: 1, figures: [{ n: 1 }] },
      { _id: 'd|3', writes: 0, seen: 0, figures: [{ n: 1 }] },
    ]);
    await days.updateMany({}, { $inc: { writes: 1 } });
    expect((await days.find({}).toArray()).map((d) => d.writes).sort()).toEqual([1, 2, 3]);
  });

  it('$match $exists false; $group by {day, from, to} (lifecycle)', async () => {
    const customers = fresh<Cust>('customers');
    await customers.insertMany([{ _id: 'a', stage: 'member' }, { _id: 'b', stage: 'customer' }, { _id: 'c', stage: 'customer' }, { _id: 'd', stage: 'loyal', mergedInto: 'c' }]);
    const stages = await customers.aggregate<{ _id: string; customers: number }>([{ $match: { mergedInto: { $exists: false } } }, { $group: { _id: '$stage', customers: { $sum: 1 } } }]).toArray();
    expect(byId(stages)).toEqual([{ _id: 'customer', customers: 2 }, { _id: 'member', customers: 1 }]);

    const changes = fresh<{ _id: string; from: string; to: string; at: Date }>('stage_changes');
    await changes.insertMany([
      { _id: 'a:1', from: 'fan', to: 'member', at: at('2026-03-01T00:00:00.000Z') },
      { _id: 'b:1', from: 'fan', to: 'member', at: at('2026-03-02T00:00:00.000Z') },
      { _id: 'b:2', from: 'member', to: 'customer', at: at('2026-03-03T00:00:00.000Z') },
      { _id: 'c:1', from: 'member', to: 'customer', at: at('2026-03-08T00:00:00.000Z') },
    ]);
    const moves = await changes.aggregate<{ _id: { day: string; from: string; to: string }; moves: number }>([
      { $match: { at: range } }, { $group: { _id: { day: day('at'), from: '$from', to: '$to' }, moves: { $sum: 1 } } },
    ]).toArray();
    expect(moves.sort((x, y) => x._id.day.localeCompare(y._id.day))).toEqual([
      { _id: { day: '2026-03-01', from: 'fan', to: 'member' }, moves: 1 },
      { _id: { day: '2026-03-02', from: 'fan', to: 'member' }, moves: 1 },
      { _id: { day: '2026-03-03', from: 'member', to: 'customer' }, moves: 1 },
    ]);
  });

  it('createIndexes through the mongoose models builds the reports\' date indexes', async () => {
    const connection = mongoose.createConnection(uri, { dbName, autoIndex: false, serverSelectionTimeoutMS: 5000 });
    try {
      await connection.asPromise();
      const models = createModels(connection);
      await Promise.all([models.Message, models.Conversion, models.StageChange, models.JourneyEvent].map((m) => m.createIndexes()));
      const keys = async (name: string) => (await db.collection(name).listIndexes().toArray()).map((i) => i.key);
      expect(await keys('messages')).toContainEqual({ sentAt: 1 });
      expect(await keys('conversions')).toContainEqual({ at: 1 });
      expect(await keys('stage_changes')).toContainEqual({ at: 1 });
      expect(await keys('journey_events')).toContainEqual({ journeyId: 1, at: 1 });
    } finally {
      await connection.close();
    }
  });
});
