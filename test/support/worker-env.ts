import { workerIndex } from './workers.ts';

/**
 * Runs before each test file: the hubs a file starts (and the CLI it runs) keep hub.json in a
 * state directory of this worker's own, so two files running side by side never read each other's
 * running hub, and never the project's .hub-local/ of an `npm start` running beside the suite.
 */
if (process.env.HUB_STATE_DIR) process.env.HUB_STATE_DIR = `${process.env.HUB_STATE_DIR}-w${workerIndex()}`;
