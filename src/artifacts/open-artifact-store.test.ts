import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openArtifactStore } from './open-artifact-store.js';

const s3 = { region: 'us-east-1', forcePathStyle: true };

describe('openArtifactStore', () => {
  it('chooses S3 for s3:// URIs, keeping bucket and prefix', () => {
    expect(openArtifactStore('s3://ml-artifacts/team/a', s3).uri).toBe('s3://ml-artifacts/team/a');
    expect(openArtifactStore('s3://ml-artifacts', s3).uri).toBe('s3://ml-artifacts');
    expect(openArtifactStore('S3://ml-artifacts/x/', s3).uri).toBe('s3://ml-artifacts/x');
  });

  it('chooses the local disk for file:// URIs and plain paths', () => {
    const dir = path.join(os.tmpdir(), 'openexpert-open-store');
    expect(openArtifactStore(`file://${dir}`, s3).uri).toBe(`file://${dir}`);
    expect(openArtifactStore(dir, s3).uri).toBe(`file://${dir}`);
    expect(openArtifactStore('relative/artifacts', s3).uri).toBe(`file://${path.resolve('relative/artifacts')}`);
  });

  it.each(['gs://bucket/x', 'http://host/x', 'mlflow-artifacts:/x', '', '   ', 's3://', 's3://Bad_Bucket/x', 's3://b/../x', 'file://remote-host/x'])(
    'rejects %j with INVALID_PARAMETER_VALUE',
    (uri) => {
      expect(() => openArtifactStore(uri, s3)).toThrow(expect.objectContaining({ code: 'INVALID_PARAMETER_VALUE' }));
    },
  );
});
