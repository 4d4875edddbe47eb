import { createInterface } from 'node:readline';
import { text } from 'node:stream/consumers';
import type { Command } from 'commander';
import { parseManifest, ShardRunner } from '../../embed/shard.js';
import { firstLineOf, WinnowError } from '../../errors.js';
import { blankCredentials } from '../../storage/failure.js';

/**
 * `winnow embed-shard [--serve]`: shards of a distributed embedding, as a Ray node runs them
 * (core/ray/driver.py). One manifest on stdin and its summary as one JSON line on stdout; with
 * --serve, one manifest a line and one result a line (`{"error": …}` for a shard that failed),
 * the model kept loaded between shards, until stdin ends. Hidden: users run `winnow embed --ray`.
 * It stops when told to (SIGTERM, SIGINT) and when the process that started it dies (a Ray
 * worker killed or cancelled), so no orphan keeps writing.
 */
export function registerEmbedShard(program: Command): void {
  program
    .command('embed-shard', { hidden: true })
    .description('embed shards of a distributed run from their manifests on stdin (what a Ray node runs)')
    .option('--serve', 'run manifests one a line until stdin ends, the model kept loaded')
    .action(async (options: { serve?: boolean }) => {
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      const parent = process.ppid;
      const orphaned = setInterval(() => process.ppid !== parent && stop(), 1000);
      const runner = new ShardRunner();
      const { signal } = controller;
      try {
        if (!options.serve) {
          const summary = await runner.run(parseManifest(await text(process.stdin)), { signal });
          process.stdout.write(`${JSON.stringify(summary)}\n`);
          return;
        }
        for await (const line of createInterface({ input: process.stdin })) {
          if (!line.trim()) continue;
          const result = await runner
            .run(parseManifest(line), { signal })
            .catch((error: unknown) => ({ error: blankCredentials(firstLineOf(error)) }));
          if (signal.aborted) break;
          process.stdout.write(`${JSON.stringify(result)}\n`);
        }
      } finally {
        clearInterval(orphaned);
        await runner.close();
      }
      if (signal.aborted) throw new WinnowError('cancelled', 'embed-shard: cancelled');
    });
}
