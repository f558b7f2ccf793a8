import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const root = new URL('../../..', import.meta.url).pathname;

/** Runs a module script in a fresh node (the SDK warns once per process) and returns its stderr. */
function stderrOf(script: string): string {
  const env = { ...process.env };
  delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    env,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`exit ${run.status}: ${run.stderr}`);
  return run.stderr;
}

// what the SDK calls when a client is made, given the Node version of a Node 20 machine
const sdkOnNode20 =
  "const { emitWarningIfUnsupportedVersion } = await import('@aws-sdk/core/client'); emitWarningIfUnsupportedVersion('v20.19.0');";

describe("the local tools and the AWS SDK's Node version warning", () => {
  it('is shown without the local tools (the check can fail)', () => {
    // Act
    const stderr = stderrOf(`${sdkOnNode20} process.emitWarning('another warning');`);

    // Assess
    expect(stderr).toContain('NodeVersionSupportWarning');
    expect(stderr).toContain('another warning');
  });

  it('is silenced by the local tools, and every other warning is still shown', () => {
    // Act
    const stderr = stderrOf(
      `await import('./infra/local/sdk-warnings.ts'); ${sdkOnNode20} process.emitWarning('another warning');`,
    );

    // Assess
    expect(stderr).not.toContain('NodeVersionSupportWarning');
    expect(stderr).toContain('another warning');
  });
});
