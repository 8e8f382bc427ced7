/**
 * The files of an external checkpoint (`external_weights`): the service's own HF-format export,
 * stored as a directory of files, each served from its own signed URL. Written into a temp
 * directory and renamed into place, so a half-written export is never visible.
 * @module
 */
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { DIR_MODE, FILE_MODE, tempPath } from "../store/atomic_fs.ts";
import type { LoraSettings } from "../store/records.ts";
import { adapterTensors, targetModules } from "./build_archive.ts";
import { layoutSafetensors, safetensorsChunks } from "./safetensors.ts";

/** One file of an external checkpoint: its path relative to the checkpoint root, its size. */
export interface ExternalFile {
  path: string;
  size: number;
}

const encoder = new TextEncoder();

/** The export of `lora`: a config, the weights, a tokenizer config (in a subdirectory), a card. */
function exportFiles(
  lora: LoraSettings,
  hidden: number,
  seed: number,
): { path: string; chunks: () => AsyncIterable<Uint8Array> }[] {
  const text = (path: string, value: string) => ({
    path,
    chunks: async function* () {
      yield encoder.encode(value);
    },
  });
  const weights = layoutSafetensors(adapterTensors(lora, hidden), {
    format: "pt",
    base_model: lora.base_model,
  });
  return [
    text(
      "config.json",
      JSON.stringify(
        {
          base_model_name_or_path: lora.base_model,
          lora_rank: lora.lora_rank,
          target_modules: targetModules(lora),
          torch_dtype: "float32",
        },
        null,
        2,
      ),
    ),
    { path: "model.safetensors", chunks: () => safetensorsChunks(weights, seed) },
    text("tokenizer/tokenizer_config.json", JSON.stringify({ name_or_path: lora.base_model })),
    text("README.md", `# Export of a LoRA of ${lora.base_model}\n\nRank ${lora.lora_rank}.\n`),
  ];
}

/** Write the export into the directory `target` (which must not exist); returns its files. */
export async function buildExternalFiles(
  lora: LoraSettings,
  hidden: number,
  seed: number,
  target: string,
  tmpDir: string,
): Promise<ExternalFile[]> {
  const tmp = tempPath(tmpDir, "external");
  const files: ExternalFile[] = [];
  try {
    for (const file of exportFiles(lora, hidden, seed)) {
      const path = join(tmp, ...file.path.split("/"));
      // Owner-only, as everything in the data directory.
      await mkdir(dirname(path), { recursive: true, mode: DIR_MODE });
      const handle = await open(path, "wx", FILE_MODE);
      let size = 0;
      try {
        for await (const chunk of file.chunks()) {
          await handle.write(chunk);
          size += chunk.length;
        }
        await handle.datasync();
      } finally {
        await handle.close();
      }
      files.push({ path: file.path, size });
    }
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return files;
}
