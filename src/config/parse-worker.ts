/** A worker thread that reads plain YAML texts by the fast path (see fast-yaml.ts); null where it declines. */
import { parentPort } from 'node:worker_threads';
import { fastParseMany, NOT_FAST } from './fast-yaml.ts';

parentPort!.on('message', (texts: string[]) => {
  parentPort!.postMessage(fastParseMany(texts).map((value) => (value === NOT_FAST ? null : value)));
});
