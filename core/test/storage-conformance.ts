import { expect, it } from 'vitest';
import type { FileEntry, WritableStorage } from '../src/storage/types.js';

/**
 * What every storage adapter must do, run against a real server (or folder) by each adapter's
 * test. `setup` returns a storage rooted at an empty location under which the test may write,
 * and `seed` puts objects there by other means than the adapter (so reads are checked against
 * what the server holds, not against the adapter's own writes).
 */
export interface ConformanceTarget {
  open(): Promise<WritableStorage>;
  seed(path: string, bytes: Uint8Array): Promise<void>;
}

async function listAll(
  storage: WritableStorage,
  options = {},
): Promise<{ pages: FileEntry[][]; all: FileEntry[] }> {
  const pages: FileEntry[][] = [];
  for await (const page of storage.list(options)) pages.push(page);
  return { pages, all: pages.flat().sort((a, b) => a.path.localeCompare(b.path)) };
}

export function storageConformance(target: ConformanceTarget): void {
  it('lists every object under the root, in pages, with size, time and (for buckets) etag', async () => {
    const storage = await target.open();
    const bytes = new TextEncoder().encode('0123456789');
    for (let i = 0; i < 7; i++) await target.seed(`dir/sub/${i}.bin`, bytes.subarray(0, i + 1));
    await target.seed('top.bin', bytes);
    const { pages, all } = await listAll(storage, { pageSize: 3 });
    expect(all.map((e) => e.path)).toEqual([
      ...Array.from({ length: 7 }, (_, i) => `dir/sub/${i}.bin`),
      'top.bin',
    ]);
    expect(all.map((e) => e.size)).toEqual([1, 2, 3, 4, 5, 6, 7, 10]);
    expect(all.every((e) => e.mtimeMs > Date.now() - 3_600_000)).toBe(true);
    if (storage.kind !== 'local') {
      expect(pages.length).toBeGreaterThanOrEqual(3);
      expect(all.every((e) => typeof e.etag === 'string' && e.etag.length > 0)).toBe(true);
    }
    const under = await listAll(storage, { prefix: 'dir/sub/' });
    expect(under.all).toHaveLength(7);
  });

  it('stats and reads whole objects and byte ranges; a missing object is undefined or not_found', async () => {
    const storage = await target.open();
    const bytes = Uint8Array.from({ length: 5000 }, (_, i) => i % 251);
    await target.seed('r/data.bin', bytes);
    expect(await storage.read('r/data.bin')).toEqual(bytes);
    expect(await storage.read('r/data.bin', { offset: 100, length: 10 })).toEqual(bytes.subarray(100, 110));
    expect(await storage.read('r/data.bin', { offset: 4990, length: 100 })).toEqual(bytes.subarray(4990));
    const info = await storage.stat('r/data.bin');
    expect(info?.size).toBe(5000);
    expect(await storage.stat('r/absent.bin')).toBeUndefined();
    await expect(storage.read('r/absent.bin')).rejects.toMatchObject({ code: 'not_found' });
    await expect(storage.read('r/absent.bin')).rejects.toThrow(/r\/absent\.bin/);
  });

  it('writes, overwrites and deletes whole objects', async () => {
    const storage = await target.open();
    await storage.write('.winnow/w/a.txt', new TextEncoder().encode('first'), 'text/plain');
    expect(new TextDecoder().decode(await storage.read('.winnow/w/a.txt'))).toBe('first');
    await storage.write('.winnow/w/a.txt', new TextEncoder().encode('second'));
    expect(new TextDecoder().decode(await storage.read('.winnow/w/a.txt'))).toBe('second');
    await storage.delete('.winnow/w/a.txt');
    expect(await storage.stat('.winnow/w/a.txt')).toBeUndefined();
    await storage.delete('.winnow/w/a.txt');
  });

  it('refuses paths that leave the root', async () => {
    const storage = await target.open();
    await expect(storage.read('../outside.bin')).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(storage.write('a/../../x', new Uint8Array(1))).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });
}
