/**
 * What the benchmarks ran on: CPU model, cores, RAM, kernel, Deno, curl and tar versions, the
 * file system of the work directory, and the load average (others may share the machine).
 * @module
 */
import { run } from "./proc.ts";

/** The machine and tools. */
export interface Machine {
  /** CPU model from /proc/cpuinfo. */
  cpu: string;
  /** Logical cores. */
  cores: number;
  /** Total RAM in GiB. */
  ramGiB: number;
  /** Kernel release. */
  kernel: string;
  /** Deno, V8 and TypeScript versions. */
  deno: string;
  /** curl version line. */
  curl: string;
  /** tar version line. */
  tar: string;
  /** File system type of the work directory. */
  workFs: string;
  /** Running under a hypervisor (the `hypervisor` CPU flag). */
  virtual: boolean;
}

/** Collect the machine description. */
export async function describeMachine(workDir: string): Promise<Machine> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  const meminfo = await Deno.readTextFile("/proc/meminfo").catch(() => "");
  const cpu = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown";
  const cores = cpuinfo.match(/^processor\s*:/gm)?.length ?? navigator.hardwareConcurrency;
  const memKiB = Number(/^MemTotal:\s*(\d+)/m.exec(meminfo)?.[1] ?? 0);
  const first = async (cmd: string, args: string[]): Promise<string> =>
    (await run(cmd, args).catch(() => "unknown")).split("\n")[0].trim();
  const fsLine = (await run("df", ["-T", workDir]).catch(() => "")).trim().split("\n").at(-1);
  return {
    cpu,
    cores,
    ramGiB: Math.round(memKiB / 2 ** 20),
    kernel: await first("uname", ["-r"]),
    deno: `${Deno.version.deno} (V8 ${Deno.version.v8}, TypeScript ${Deno.version.typescript})`,
    curl: (await first("curl", ["--version"])).split(" ").slice(0, 2).join(" "),
    tar: await first("tar", ["--version"]),
    workFs: fsLine?.split(/\s+/)[1] ?? "unknown",
    virtual: /^flags\s*:.*\bhypervisor\b/m.test(cpuinfo),
  };
}

/** The 1-minute load average. */
export async function loadAverage(): Promise<number> {
  const text = await Deno.readTextFile("/proc/loadavg").catch(() => "0");
  return Number(text.split(" ")[0]);
}

/**
 * Wait (up to `maxSeconds`) until the 1-minute load average drops below `below`, so that
 * other work on a shared machine disturbs the figures less. Resolves to the load average then.
 */
export async function waitForQuiet(below: number, maxSeconds: number): Promise<number> {
  const deadline = Date.now() + maxSeconds * 1000;
  let load = await loadAverage();
  while (load >= below && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 2000));
    load = await loadAverage();
  }
  return load;
}
