/** A worker thread that reads plain YAML texts by the fast path (see fast-yaml.ts); null where it declines. */
import { parentPort } from 'node:worker_threads';
import { fastParse, NOT_FAST } from './fast-yaml.ts';

parentPort!.on('message', (texts: string[]) => {
  parentPort!.postMessage(texts.map((text) => {
    const value = fastParse(text);
    return value === NOT_FAST ? null : value;
  }));
});
