// The run command's Temporal dev server keeps its SQLite file across versions of Closedloop: search
// attributes added since the file was made are registered on the next start.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Connection } from '@temporalio/client';
import { freePort, startTemporal, stopProcess, temporalBinary } from '../../scripts/servers.js';
import { searchAttributeKeys } from '../../workflows/search-attributes.js';

const dir = mkdtempSync(path.join(tmpdir(), 'closedloop-temporal-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the local run\'s Temporal', () => {
  it('registers the search attributes an older data file lacks', async () => {
    const dbFile = path.join(dir, 'temporal.db');
    // A data file made without any of our attributes, as an older version's would lack the newer ones.
    const port = await freePort();
    const bare = spawn(temporalBinary, ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--headless', '--log-level', 'error', '--db-filename', dbFile], { stdio: 'ignore' });
    const connection = await (async () => {
      for (let i = 0; ; i++) {
        try { return await Connection.connect({ address: `127.0.0.1:${port}`, connectTimeout: 1000 }); } catch (err) { if (i > 60) throw err; await new Promise((r) => setTimeout(r, 500)); }
      }
    })();
    const before = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    expect(Object.keys(before.customAttributes ?? {})).not.toContain('CustomerId');
    await connection.close();
    await stopProcess(bare);

    const server = await startTemporal({ dbFile });
    const again = await Connection.connect({ address: server.address });
    try {
      const after = await again.operatorService.listSearchAttributes({ namespace: 'default' });
      expect(Object.keys(after.customAttributes ?? {})).toEqual(expect.arrayContaining(searchAttributeKeys.map((k) => k.name)));
    } finally {
      await again.close();
      await server.stop();
    }
  }, 90_000);
});
