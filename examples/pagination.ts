/**
 * Pagination by hand (page by page with the cursor) and the easy way (`iterateCheckpoints`).
 *
 * Run: `npx -y deno@2 run -A examples/pagination.ts`
 * @module
 */
import { configFromEnv, hasMore, iterateCheckpoints, listUserCheckpoints } from "@tinkex/tinkex";

const config = configFromEnv();

// By hand: follow the cursor until offset + limit reaches total_count.
let offset = 0;
let pages = 0;
let byHand = 0;
for (;;) {
  const page = await listUserCheckpoints(config, { limit: 2, offset });
  pages++;
  byHand += page.checkpoints.length;
  if (!hasMore(page.cursor)) break;
  offset += page.checkpoints.length;
}
console.log(`by hand: ${byHand} checkpoints in ${pages} pages of 2`);

// The easy way: large pages, fetched a few at a time, yielded in order.
let easy = 0;
for await (const _c of iterateCheckpoints(config)) easy++;
console.log(`iterateCheckpoints: ${easy} checkpoints`);
