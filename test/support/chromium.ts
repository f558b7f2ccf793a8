import { existsSync } from 'node:fs';

/**
 * The Chromium the browser tests drive: `HUB_CHROMIUM` when set, else Debian's package. `npm test`
 * installs Debian's package first where it can (test/support/prepare.sh); where it cannot, that
 * step says what to do, so this only names the binary.
 */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  const path = env.HUB_CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(path))
    throw new Error(
      `Chromium not found at ${path}: install Debian's chromium package (apt-get install chromium) or set HUB_CHROMIUM to a Chromium binary`,
    );
  return path;
}
