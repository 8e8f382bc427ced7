/**
 * An id as one segment of a request path. An empty id would name the collection instead
 * (`/training_runs/` is the listing), so it is refused before any request.
 * @module
 */

/**
 * `encodeURIComponent(id)`, or a RangeError for an empty or blank id (`what` names it, e.g.
 * "training run id").
 */
export function idSegment(id: string, what: string): string {
  if (typeof id !== "string" || id.trim() === "") {
    throw new RangeError(`Cannot use an empty ${what}: give the id (nothing was sent)`);
  }
  return encodeURIComponent(id);
}
