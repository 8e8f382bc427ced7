/**
 * Checkpoint archives: a plain tar with `adapter_config.json`, `adapter_model.safetensors`
 * (LoRA tensors shaped by the rank), `optimizer_state.safetensors` for training checkpoints,
 * and the empty `checkpoint_complete` marker. Built streaming to a temp file, then renamed, so
 * a 1 GiB archive never sits in memory. Sizes are computed up front and exact. The SHA-256 is
 * computed from the bytes as they are written and stored beside the archive (its digest file),
 * so serving it never needs a second pass over the file.
 * @module
 */
import { createTarPacker } from "modern-tar";
import { createHash } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import type { CheckpointKind } from "../../protocol/paths.ts";
import { FILE_MODE, tempPath } from "../store/atomic_fs.ts";
import { type FileVersion, writeDigestFile } from "./digest_file.ts";
import type { LoraSettings } from "../store/records.ts";
import {
  int64Bytes,
  layoutSafetensors,
  safetensorsChunks,
  type SafetensorsLayout,
  type TensorSpec,
} from "./safetensors.ts";

/** Everything an archive's bytes depend on. */
export interface ArchiveSpec {
  lora: LoraSettings;
  kind: CheckpointKind;
  hidden: number;
  optimizer_step: number | null;
  /** Varies the generated values. */
  seed: number;
}

/** Default width of the synthetic tensors. */
export const DEFAULT_HIDDEN = 64;
const LAYERS = 2;
const MLP = new Set(["gate_proj", "up_proj", "down_proj"]);
const TAR_BLOCK = 512;
const encoder = new TextEncoder();

interface Member {
  name: string;
  size: number;
  chunks: () => AsyncIterable<Uint8Array>;
}

/** The LoRA target modules of a run's train flags. */
export function targetModules(lora: LoraSettings): string[] {
  return [
    ...(lora.train_attn ? ["q_proj", "k_proj", "v_proj", "o_proj"] : []),
    ...(lora.train_mlp ? ["gate_proj", "up_proj", "down_proj"] : []),
    ...(lora.train_unembed ? ["lm_head"] : []),
  ];
}

/** The `hidden` width that makes an archive about `targetBytes` big (at least the default). */
export function hiddenForSize(
  lora: LoraSettings,
  kind: CheckpointKind,
  targetBytes: number,
): number {
  const matrices = adapterTensors(lora, 1).length * (kind === "weights" ? 3 : 1);
  const perHidden = matrices * lora.lora_rank * 4;
  return Math.max(DEFAULT_HIDDEN, Math.floor((targetBytes - 8192) / perHidden));
}

/** Exact size in bytes of the archive of `spec`. */
export function archiveSize(spec: ArchiveSpec): number {
  return members(spec).reduce(
    (sum, m) => sum + TAR_BLOCK + Math.ceil(m.size / TAR_BLOCK) * TAR_BLOCK,
    2 * TAR_BLOCK,
  );
}

/** Where an archive is written: the archive, its digest file, and the temp directory. */
export interface ArchivePaths {
  archive: string;
  digest: string;
  tmpDir: string;
}

/**
 * Write the archive of `spec` to `paths.archive` (via a temp file) and its digest file; returns
 * its size. The digest file is in place before the archive is renamed into place: a crash in
 * between leaves a digest file without an archive (removed at start-up), never an archive
 * whose digest file describes other bytes.
 */
export async function buildArchive(spec: ArchiveSpec, paths: ArchivePaths): Promise<number> {
  const tmp = tempPath(paths.tmpDir, "archive");
  const hash = createHash("sha256");
  let version: FileVersion;
  let digestWritten = false;
  try {
    const handle = await open(tmp, "w", FILE_MODE);
    try {
      const { readable, controller } = createTarPacker();
      const drain = (async () => {
        for await (const chunk of readable) {
          await handle.write(chunk);
          hash.update(chunk);
        }
      })();
      // A failed write (a full disk) must stop the packing, which would otherwise wait forever.
      drain.catch((e) => controller.error(e));
      try {
        for (const m of members(spec)) {
          const writer = controller.add({
            name: m.name,
            size: m.size,
            type: "file",
            mtime: new Date(),
          })
            .getWriter();
          for await (const chunk of m.chunks()) await writer.write(chunk);
          await writer.close();
        }
        controller.finalize();
      } catch (e) {
        controller.error(e);
        throw e;
      } finally {
        await drain; // rethrows the write error, the cause of any packing error
      }
      await handle.datasync();
      version = await handle.stat(); // final: nothing writes to it after this
    } finally {
      await handle.close();
    }
    const expected = archiveSize(spec);
    if (version.size !== expected) {
      throw new Error(`archive size ${version.size} differs from the computed ${expected}`);
    }
    await writeDigestFile(paths.tmpDir, paths.digest, version, hash.digest("base64"));
    digestWritten = true;
    await rename(tmp, paths.archive);
    return version.size;
  } catch (e) {
    await rm(tmp, { force: true });
    if (digestWritten) await rm(paths.digest, { force: true });
    throw e;
  }
}

function members(spec: ArchiveSpec): Member[] {
  const config = bytesMember("adapter_config.json", adapterConfig(spec.lora));
  const adapter = layoutSafetensors(adapterTensors(spec.lora, spec.hidden), {
    format: "pt",
    base_model: spec.lora.base_model,
    lora_rank: String(spec.lora.lora_rank),
  });
  const list = [config, tensorMember("adapter_model.safetensors", adapter, spec.seed)];
  if (spec.kind === "weights") {
    list.push(
      tensorMember("optimizer_state.safetensors", optimizerLayout(spec), spec.seed ^ 0x5bd1e995),
    );
  }
  list.push(bytesMember("checkpoint_complete", new Uint8Array(0)));
  return list;
}

function adapterConfig(lora: LoraSettings): Uint8Array {
  const config = {
    base_model_name_or_path: lora.base_model,
    base_model: lora.base_model,
    peft_type: "LORA",
    task_type: "CAUSAL_LM",
    r: lora.lora_rank,
    lora_alpha: 32,
    lora_dropout: 0,
    bias: "none",
    target_modules: targetModules(lora),
  };
  return encoder.encode(JSON.stringify(config, null, 2));
}

/** The LoRA A/B tensors of every trained module, `hidden` wide. */
export function adapterTensors(lora: LoraSettings, hidden: number): TensorSpec[] {
  const out: TensorSpec[] = [];
  const add = (prefix: string): void => {
    out.push({ name: `${prefix}.lora_A.weight`, dtype: "F32", shape: [lora.lora_rank, hidden] });
    out.push({ name: `${prefix}.lora_B.weight`, dtype: "F32", shape: [hidden, lora.lora_rank] });
  };
  for (let layer = 0; layer < LAYERS; layer++) {
    for (const m of targetModules(lora).filter((m) => m !== "lm_head")) {
      add(`base_model.model.model.layers.${layer}.${MLP.has(m) ? "mlp" : "self_attn"}.${m}`);
    }
  }
  if (lora.train_unembed) add("base_model.model.lm_head");
  return out;
}

function optimizerLayout(spec: ArchiveSpec): SafetensorsLayout {
  const step = spec.optimizer_step ?? 0;
  const tensors: TensorSpec[] = [{
    name: "step",
    dtype: "I64",
    shape: [1],
    data: int64Bytes(step),
  }];
  for (const t of adapterTensors(spec.lora, spec.hidden)) {
    tensors.push({ ...t, name: `state.${t.name}.exp_avg` });
    tensors.push({ ...t, name: `state.${t.name}.exp_avg_sq` });
  }
  return layoutSafetensors(tensors, { optimizer: "adamw", step: String(step) });
}

function bytesMember(name: string, bytes: Uint8Array): Member {
  return {
    name,
    size: bytes.length,
    chunks: async function* () {
      if (bytes.length) yield bytes;
    },
  };
}

function tensorMember(name: string, layout: SafetensorsLayout, seed: number): Member {
  return { name, size: layout.size, chunks: () => safetensorsChunks(layout, seed) };
}
