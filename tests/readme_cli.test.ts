/**
 * The README's CLI reference is the one generated from the command specs, so every command and
 * option the parser accepts is documented, and nothing it refuses is. After changing a command:
 * `deno task docs:cli`.
 */
import assert from "node:assert/strict";
import { GROUPS } from "../src/cli/commands.ts";
import {
  cliReference,
  REFERENCE_END,
  REFERENCE_START,
  withReference,
} from "../src/cli/reference.ts";
import { GLOBAL_OPTIONS } from "../src/cli/spec.ts";

const README = await Deno.readTextFile(new URL("../README.md", import.meta.url));

Deno.test("README's CLI reference matches src/cli/commands.ts (else run `deno task docs:cli`)", () => {
  assert.ok(README.includes(REFERENCE_START) && README.includes(REFERENCE_END), "markers present");
  assert.equal(
    withReference(README),
    README,
    "README.md's CLI reference is out of date: run `deno task docs:cli` and commit README.md",
  );
});

Deno.test("the reference names every command and every option of the specs", () => {
  const reference = cliReference(GROUPS);
  for (const group of GROUPS) {
    for (const command of group.commands ?? [group.command!]) {
      const words = group.commands ? `${group.name} ${command.name}` : group.name;
      const line = new RegExp(`^tinkex ${words}(\\s|$)`, "m");
      assert.match(reference, line, words);
      // The command's lines: its synopsis and the continuation lines after it.
      const block = reference.slice(reference.search(line)).split(/\n {4}(?! )/)[0];
      for (const option of Object.keys(command.options)) {
        assert.ok(block.includes(`--${option}`), `${words}: --${option} in\n${block}`);
      }
    }
  }
  for (const option of Object.keys(GLOBAL_OPTIONS)) assert.ok(reference.includes(`--${option}`));
  assert.match(reference, /--type weights\|sampler_weights/, "enumerated values are listed");
});
