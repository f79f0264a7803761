// Identity resolution: which customer an identity (phone, e-mail, openid…) belongs to.
// Atomic upserts on the identity's unique _id, never read-then-write, so concurrent first
// events of one new identity end up as one customer.
import { randomBytes } from 'node:crypto';
import { isDuplicateKey } from './connection.js';
import type { Models } from './models.js';

export interface Identity {
  type: string;
  /** Already normalised (E.164 phone, lower-case e-mail). */
  value: string;
}

export interface Resolution {
  customerId: string;
  /** Customers found to be this same person, to be merged into `customerId`. */
  merged: string[];
}

export const identityKey = (i: Identity): string => `${i.type}:${i.value}`;

/** Time-ordered ids: the smaller id is the older customer, who survives a merge. */
export function newCustomerId(now = Date.now()): string {
  return `c${now.toString(36).padStart(9, '0')}${randomBytes(5).toString('hex')}`;
}

export function identityRepository({ identities }: Models) {
  async function claim(identity: Identity, customerId: string): Promise<string> {
    const key = identityKey(identity);
    for (let attempt = 0; ; attempt++) {
      try {
        const doc = await identities.findOneAndUpdate(
          { _id: key },
          { $setOnInsert: { type: identity.type, customerId, createdAt: new Date() } },
          { upsert: true, returnDocument: 'after' },
        );
        return doc!.customerId;
      } catch (err) {
        // Two upserts raced on a new key: the loser retries and finds the winner's document.
        if (!isDuplicateKey(err) || attempt >= 2) throw err;
      }
    }
  }

  return {
    /** Owners of the given identity keys, in one round trip. */
    async owners(keys: string[]): Promise<Map<string, string>> {
      const docs = await identities.find({ _id: { $in: keys } }, { projection: { customerId: 1 } }).toArray();
      return new Map(docs.map((d) => [d._id, d.customerId]));
    },

    /** The customer these identities belong to, creating or merging customers as needed. */
    async resolve(wanted: Identity[], known?: Map<string, string>): Promise<Resolution> {
      const found = known ?? (await this.owners(wanted.map(identityKey)));
      const owners = new Set<string>();
      for (const i of wanted) {
        const owner = found.get(identityKey(i));
        if (owner) owners.add(owner);
      }
      // A new person gets a fresh id, but only if one of its identities is actually claimed with it.
      const candidate = [...owners].sort()[0] ?? newCustomerId();
      const missing = wanted.filter((i) => !found.has(identityKey(i)));
      for (const owner of await Promise.all(missing.map((i) => claim(i, candidate)))) owners.add(owner);
      const survivor = [...owners].sort()[0]!;
      const merged = [...owners].filter((id) => id !== survivor);
      if (merged.length > 0) {
        await identities.updateMany({ customerId: { $in: merged } }, { $set: { customerId: survivor } });
      }
      return { customerId: survivor, merged };
    },

    async lookup(identity: Identity): Promise<string | undefined> {
      const doc = await identities.findOne({ _id: identityKey(identity) });
      return doc?.customerId;
    },

    async of(customerId: string): Promise<Identity[]> {
      const docs = await identities.find({ customerId }).toArray();
      return docs.map((d) => ({ type: d.type, value: d._id.slice(d.type.length + 1) }));
    },
  };
}

export type IdentityRepository = ReturnType<typeof identityRepository>;
