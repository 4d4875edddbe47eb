import { text } from 'node:stream/consumers';
import type { Command } from 'commander';
import { embedShard, parseManifest } from '../../embed/shard.js';
import { WinnowError } from '../../errors.js';

/**
 * `winnow embed-shard`: one shard of a distributed embedding, as a Ray task runs it on a node
 * (core/ray/driver.py). The manifest comes on stdin; the summary goes to stdout as one JSON line.
 * Hidden: users run `winnow embed --ray`. It stops when told to (SIGTERM, SIGINT) and when the
 * process that started it dies (a Ray worker killed or cancelled), so no orphan keeps writing.
 */
export function registerEmbedShard(program: Command): void {
  program.command('embed-shard', { hidden: true }).action(async () => {
    const manifest = parseManifest(await text(process.stdin));
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    const parent = process.ppid;
    const orphaned = setInterval(() => process.ppid !== parent && stop(), 1000);
    try {
      const summary = await embedShard(manifest, { signal: controller.signal });
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    } catch (error) {
      if (controller.signal.aborted) throw new WinnowError('cancelled', `shard ${manifest.shard}: cancelled`);
      throw error;
    } finally {
      clearInterval(orphaned);
    }
  });
}
