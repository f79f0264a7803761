import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.backend.memory.MemoryDatabase;
import de.bwaldvogel.mongo.backend.memory.index.MemoryUniqueIndex;
import de.bwaldvogel.mongo.bson.Document;
import java.net.BindException;
import java.util.List;

/**
 * Starts mongo-java-server on loopback for Closedloop's tests (memory) and local runs (H2 file).
 * Usage: MongoLauncher <port> [memory | h2:<file>] [oplog]. Prints "ready mongodb://127.0.0.1:<port>".
 *
 * No oplog unless asked: Closedloop uses no change streams, and mongo-java-server's oplog keeps a
 * document of every write, in memory, for as long as the server runs (BENCHMARKS.md, "MongoDB
 * stand-in at 100,000 customers").
 *
 * The memory backend's unique indexes (`_id` among them) answer a query whose keys are exactly the
 * index's; `{_id: x, revision: {$lt: n}}`, the conditional write of every profile, scanned the whole
 * collection instead (29 ms a write at 100,000 customers, against 0.8 ms by `_id` alone). MongoDB 7
 * uses the index for it, so the memory backend here does too: see {@link EqualityFirstIndex}.
 */
public final class MongoLauncher {
  /** The Node driver 7 refuses wire versions below 9; announce MongoDB 5.0 (wire 13). */
  private static final MongoVersion MONGO_5_0_WIRE_13 = new MongoVersion() {
    @Override public List<Integer> getVersionArray() { return List.of(5, 0, 0); }
    @Override public int getWireVersion() { return 13; }
  };

  public static void main(String[] args) {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    if (args.length < 1) {
      System.err.println("usage: MongoLauncher <port> [memory | h2:<file>] [oplog]");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    String storage = args.length > 1 ? args[1] : "memory";
    MongoBackend backend = storage.startsWith("h2:")
        ? new H2Backend(storage.substring(3))
        : new IndexedMemoryBackend();
    backend.version(MONGO_5_0_WIRE_13);
    MongoServer server = new MongoServer(backend);
    if (args.length > 2 && args[2].equals("oplog")) server.enableOplog();
    try {
      server.bind("127.0.0.1", port);
    } catch (Exception e) { // netty rethrows BindException unchecked
      Throwable cause = e;
      while (cause.getCause() != null && !(cause instanceof BindException)) cause = cause.getCause();
      System.err.println("mongo-java-server: cannot listen on 127.0.0.1:" + port + ": "
          + (cause instanceof BindException ? "port already in use" : String.valueOf(cause.getMessage())));
      backend.close();
      System.exit(3);
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.shutdown(); // closes the backend too, so H2 flushes its file
    }));
    System.out.println("ready mongodb://127.0.0.1:" + server.getLocalAddress().getPort());
    System.out.flush();
  }

  /** The memory backend whose databases make {@link EqualityFirstIndex}es. */
  static final class IndexedMemoryBackend extends MemoryBackend {
    @Override
    public MemoryDatabase openOrCreateDatabase(String databaseName) {
      return new MemoryDatabase(databaseName, getCursorRegistry()) {
        @Override
        protected Index<Integer> openOrCreateUniqueIndex(String collection, String name, List<IndexKey> keys, boolean sparse) {
          return new EqualityFirstIndex(name, keys, sparse);
        }
      };
    }
  }

  /**
   * A unique index that also answers a query holding its keys among others: it looks up the
   * candidates by its keys alone, and the collection matches the whole query against them (it
   * does so for every index's candidates), so what a query returns is unchanged.
   */
  static final class EqualityFirstIndex extends MemoryUniqueIndex {
    EqualityFirstIndex(String name, List<IndexKey> keys, boolean sparse) {
      super(name, keys, sparse);
    }

    private Document ownKeys(Document query) {
      Document own = new Document();
      for (String key : keys()) own.put(key, query.get(key));
      return own;
    }

    @Override
    public synchronized boolean canHandle(Document query) {
      return query.keySet().containsAll(keySet()) && super.canHandle(ownKeys(query));
    }

    @Override
    public synchronized Iterable<Integer> getPositions(Document query) {
      return super.getPositions(ownKeys(query));
    }
  }
}
