/** The close handler every device node uses (house rule: `on('close', (removed, done))` cleans up fast). */
import type { Node } from './red';

/**
 * On close, runs `steps` one after the other, each awaited; a step that throws or rejects does not
 * stop the ones after it. Then clears the node's status and calls done. Put the status ticker
 * first, the device's own stop (with its time limit) next, a link release after that.
 */
export function closeInOrder(node: Node, ...steps: Array<() => unknown>): void {
  node.on('close', (_removed, done) => {
    let chain: Promise<unknown> = Promise.resolve();
    for (const step of steps) chain = chain.then(() => step()).catch(() => undefined);
    void chain.then(() => {
      node.status({});
      done();
    });
  });
}
