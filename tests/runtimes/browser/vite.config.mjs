// Vite builds index.html → page.ts, with @tinkex/tinkex resolved to the repository's mod.ts
// and modern-tar from the pinned tools (the repository itself has no node_modules).
import { fileURLToPath } from "node:url";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

export default {
  root: here("."),
  logLevel: "warn",
  resolve: {
    alias: {
      "@tinkex/tinkex": here("../../../mod.ts"),
      "modern-tar": here("../node_modules/modern-tar"),
    },
  },
  base: "./",
  build: { outDir: process.env.TINKEX_VITE_OUT, emptyOutDir: true, minify: false },
};
