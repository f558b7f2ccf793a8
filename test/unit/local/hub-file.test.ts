import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hubStateDir, readHubFile, removeHubFile, writeHubFile, type HubFile } from '#infra/local/hub-file.ts';

const info: HubFile = {
  awsEndpoint: 'http://127.0.0.1:5000',
  url: 'http://127.0.0.1:3000',
  stage: 'local',
  tableName: 'hub-local-table',
  ingestQueueUrl: 'http://127.0.0.1:5000/q/ingest',
  ingestDlqUrl: 'http://127.0.0.1:5000/q/dlq',
};

describe("the running hub's state file", () => {
  it('lives in .hub-local under the working directory, or in HUB_STATE_DIR when set', () => {
    // Act
    const byDefault = hubStateDir({}, '/srv/hub');
    const chosen = hubStateDir({ HUB_STATE_DIR: 'state/one' }, '/srv/hub');
    const absolute = hubStateDir({ HUB_STATE_DIR: '/tmp/hub-state' }, '/srv/hub');

    // Assess
    expect(byDefault).toBe('/srv/hub/.hub-local');
    expect(chosen).toBe('/srv/hub/state/one');
    expect(absolute).toBe('/tmp/hub-state');
  });

  it('is written, read and removed in the directory given, and removal spares the other files there', () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'hub-state-'));
    writeFileSync(join(dir, 'notes.txt'), 'mine');

    // Act
    writeHubFile(info, dir);
    const read = readHubFile(dir);
    removeHubFile(dir);

    // Assess
    expect(read).toEqual(info);
    expect(readdirSync(dir)).toEqual(['notes.txt']);
  });

  it('removes a directory it leaves empty', () => {
    // Prepare
    const dir = join(mkdtempSync(join(tmpdir(), 'hub-state-')), '.hub-local');
    writeHubFile(info, dir);

    // Act
    removeHubFile(dir);

    // Assess
    expect(existsSync(dir)).toBe(false);
  });

  it("is kept by the test suite's hubs outside the project, so a running npm start keeps its own", () => {
    // Prepare
    const project = resolve(new URL('../../..', import.meta.url).pathname);

    // Act
    const dir = hubStateDir();

    // Assess
    expect(process.env.HUB_STATE_DIR).toBeTruthy();
    expect(dir.startsWith(`${project}/`)).toBe(false);
  });
});
