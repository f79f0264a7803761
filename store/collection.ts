// The store reads and writes through the MongoDB driver's typed collections. Mongoose is kept for
// what it adds underneath: the connection (it holds commands while MongoDB is briefly away) and
// the schemas that declare each collection's indexes. A model's `collection` forwards every
// driver method, so it serves as the driver's collection of the model's documents: the one cast.
import type { Collection, Document } from 'mongodb';
import type { Model } from 'mongoose';

export const collectionOf = <T extends Document>(model: Model<T>): Collection<T> => model.collection as unknown as Collection<T>;
