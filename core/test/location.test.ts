// Datasource locations as users write them: local paths and bucket URLs of every provider.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatLocation, keyOf, parseLocation } from '../src/storage/location.js';

describe('locations', () => {
  it('reads every provider’s URL, with the prefix normalized', () => {
    expect(parseLocation('s3://my-bucket/photos/2024')).toEqual({
      kind: 's3',
      bucket: 'my-bucket',
      prefix: 'photos/2024/',
    });
    expect(parseLocation('obs://b.with.dots/')).toEqual({ kind: 'obs', bucket: 'b.with.dots', prefix: '' });
    expect(parseLocation('gs://bucket1//a//b/')).toEqual({ kind: 'gcs', bucket: 'bucket1', prefix: 'a/b/' });
    expect(parseLocation('az://acct123/images/train/')).toEqual({
      kind: 'azure',
      account: 'acct123',
      container: 'images',
      prefix: 'train/',
    });
    expect(parseLocation('https://acct123.blob.core.windows.net/images/train')).toEqual(
      parseLocation('az://acct123/images/train/'),
    );
    expect(parseLocation('s3://bucket/with%20space/')).toMatchObject({ prefix: 'with space/' });
    expect(parseLocation('data/images')).toEqual({ kind: 'local', path: resolve('data/images') });
    expect(parseLocation('file:///srv/data')).toEqual({ kind: 'local', path: '/srv/data' });
  });

  it('gives the canonical URL back and keys under the prefix', () => {
    for (const url of ['s3://b-1/p/', 'obs://b-1/', 'gs://b-1/x/y/', 'az://acct123/c-1/p/'])
      expect(formatLocation(parseLocation(url))).toBe(url);
    expect(keyOf(parseLocation('s3://b-1/p/'), 'a/b.jpg')).toBe('p/a/b.jpg');
    expect(keyOf(parseLocation('gs://b-1'), '/a.jpg')).toBe('a.jpg');
    expect(keyOf(parseLocation('/srv/data'), 'a.jpg')).toBe('/srv/data/a.jpg');
  });

  it('names what is wrong with a bad location', () => {
    const cases: [string, string][] = [
      ['', "location '' is empty"],
      ['s3://', "location 's3://' names no bucket (s3://bucket/prefix/)"],
      [
        's3://My_Bucket/x',
        "location 's3://My_Bucket/x' names the bucket 'My_Bucket': 3 to 63 lowercase letters, digits, dots and hyphens",
      ],
      ['az://acct123/', "location 'az://acct123/' names no container (az://account/container/prefix/)"],
      [
        'az://a/c-1/',
        "location 'az://a/c-1/' names the Azure storage account 'a': 3 to 24 lowercase letters and digits",
      ],
      [
        'https://example.com/x',
        "location 'https://example.com/x' is not a bucket URL (s3://, obs://, gs://, az:// or an Azure blob https:// URL)",
      ],
      [
        'ftp://host/x',
        "location 'ftp://host/x' has an unknown scheme 'ftp://' (s3://, obs://, gs://, az://, https:// for Azure, or a local path)",
      ],
    ];
    for (const [text, message] of cases) expect(() => parseLocation(text), text).toThrow(message);
  });
});
