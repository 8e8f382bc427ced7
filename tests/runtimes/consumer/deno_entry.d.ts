// examples/complete_workflow.ts (copied beside main.ts) ends with a Deno-only entry block,
// `if (import.meta.main) … Deno.args …`, which never runs under Node or Bun.
declare const Deno: { args: string[] };
