// Identity resolution: which customer an identity (phone, e-mail, openid…) belongs to.
// Atomic upserts on the identity's unique _id, never read-then-write, so concurrent first
// events of one new identity end up as one customer.
import { randomBytes } from 'node:crypto';
import { isDuplicateKey } from './errors.js';
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
  /** `customerId` was made by this resolution: no profile or workflow can exist for it yet. */
  fresh?: true;
}

export const identityKey = (i: Identity): string => `${i.type}:${i.value}`;

/** Who owns an identity; `movedFrom` while a merge that moved it is not yet handed over. */
export interface Owner {
  customerId: string;
  movedFrom?: string;
}

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
    async owners(keys: string[]): Promise<Map<string, Owner>> {
      const docs = await identities.find({ _id: { $in: keys } }, { projection: { customerId: 1, movedFrom: 1 } }).toArray();
      return new Map(docs.map((d) => [d._id, { customerId: d.customerId, ...(d.movedFrom !== undefined && { movedFrom: d.movedFrom }) }]));
    },

    /** The customer these identities belong to, creating or merging customers as needed. */
    async resolve(wanted: Identity[], known?: Map<string, Owner>): Promise<Resolution> {
      const found = known ?? (await this.owners(wanted.map(identityKey)));
      const owners = new Set<string>();
      for (const i of wanted) {
        const owner = found.get(identityKey(i));
        if (owner) owners.add(owner.customerId);
        // A merge whose request failed after the identities moved: found again, signalled again.
        if (owner?.movedFrom) owners.add(owner.movedFrom);
      }
      // A new person gets a fresh id, but only if one of its identities is actually claimed with it.
      const minted = owners.size === 0;
      const candidate = [...owners].sort()[0] ?? newCustomerId();
      const missing = wanted.filter((i) => !found.has(identityKey(i)));
      for (const owner of await Promise.all(missing.map((i) => claim(i, candidate)))) owners.add(owner);
      const survivor = [...owners].sort()[0]!;
      const merged = [...owners].filter((id) => id !== survivor);
      // Each moved identity remembers its old owner until that customer's workflow has handed
      // over (releaseMoved): if the merge signal never goes out, the client's retry finds it again.
      for (const loser of merged) await identities.updateMany({ customerId: loser }, { $set: { customerId: survivor, movedFrom: loser } });
      return { customerId: survivor, merged, ...(minted && survivor === candidate && { fresh: true as const }) };
    },

    /** The merge of `customerId` is handed over to its survivor: its identities no longer point back. */
    async releaseMoved(customerId: string): Promise<void> {
      await identities.updateMany({ movedFrom: customerId }, { $unset: { movedFrom: '' } });
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
