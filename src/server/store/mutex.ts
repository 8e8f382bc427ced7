/**
 * An in-process async mutex: mutations run one at a time, so none is lost.
 * @module
 */

/** Runs critical sections one after another, in arrival order. */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();

  /** Run `fn` once every earlier section has finished; resolves to its result. */
  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.then(() => undefined, () => undefined);
    return result;
  }
}
