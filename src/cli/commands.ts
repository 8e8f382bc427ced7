/**
 * The command tree: every group, command, argument and option, with help text. Handlers are
 * loaded lazily from one module per group, so `--help` and `version` start fast.
 * @module
 */
import { DEFAULT_LIST_LIMIT } from "./paging.ts";
import type { ArgSpec, CommandSpec, GroupSpec, OptionSpec } from "./spec.ts";

const PATH_ARG: ArgSpec = {
  name: "PATH",
  required: true,
  description:
    "Checkpoint path: tinker://<run-id>/<weights|sampler_weights|external_weights>/<name>",
};
const PATHS_ARG: ArgSpec = { ...PATH_ARG, variadic: true, description: "One or more paths" };

const RUN_ID: OptionSpec = {
  type: "string",
  valueName: "RUN_ID",
  description: "Only this training run's checkpoints",
};
const LIMIT = (what: string): OptionSpec => ({
  type: "integer",
  valueName: "N",
  description: `How many ${what} to show (default ${DEFAULT_LIST_LIMIT}; 0 = all)`,
});
const OFFSET: OptionSpec = {
  type: "integer",
  valueName: "N",
  description: "Skip this many first (default 0)",
};
const ACCESS_SCOPE: OptionSpec = {
  type: "string",
  valueName: "SCOPE",
  choices: ["owned", "accessible"],
  description: "owned (default) or accessible (adds others' runs with public checkpoints)",
};
/**
 * `--ttl`: seconds or a duration (`12h`, `7d`), within the service's one hour to ten years
 * (`MIN_TTL_SECONDS` / `MAX_TTL_SECONDS` of mod.ts, not imported so that help starts fast; a
 * test checks they agree).
 */
export const TTL_RANGE = { min: 3600, max: 315_360_000 } as const;
const TTL = (description: string): OptionSpec => ({
  type: "duration",
  ...TTL_RANGE,
  valueName: "DURATION",
  description: `${description}: seconds, or 90m, 12h, 7d, 2w, 1y (1 hour to 10 years)`,
});
/** `--meta KEY=VALUE`: only checkpoints whose user_metadata holds every pair. */
const META: OptionSpec = {
  type: "string",
  multiple: true,
  valueName: "KEY=VALUE",
  description: "Only checkpoints whose metadata has KEY=VALUE (repeatable: all must match)",
};
const YES: OptionSpec = {
  type: "boolean",
  short: "y",
  description: "Do not ask for confirmation (required when stdin is not a terminal)",
};

const CHECKPOINT_COMMANDS: readonly CommandSpec[] = [
  {
    name: "list",
    summary: "List checkpoints, newest first",
    args: [],
    options: { "run-id": RUN_ID, limit: LIMIT("checkpoints"), offset: OFFSET, meta: META },
    examples: [
      "tinkex checkpoint list --limit 0",
      "tinkex checkpoint list --run-id RUN --json",
      "tinkex checkpoint list --meta experiment=lr-sweep",
    ],
  },
  {
    name: "info",
    summary: "Show a checkpoint and its weights info",
    args: [PATH_ARG],
    options: {},
    examples: ["tinkex checkpoint info tinker://RUN/weights/0001"],
  },
  {
    name: "download",
    summary: "Download and extract checkpoint archives",
    description: "Extracts each into <DIR>/<run>_<kind>_<name>, a few at a time, with one\n" +
      "progress display on stderr. A destination already holding the checkpoint is skipped;\n" +
      "one an interrupted run left is continued.",
    args: [{ ...PATHS_ARG, required: false }],
    options: {
      output: {
        type: "string",
        short: "o",
        valueName: "DIR",
        description: "Directory to extract into (default: current directory)",
      },
      force: { type: "boolean", description: "Replace the destination if it exists" },
      "run-id": { type: "string", valueName: "RUN", description: "With --latest: this run's" },
      latest: { type: "boolean", description: "Download the run's newest checkpoint" },
      type: {
        type: "string",
        valueName: "KIND",
        choices: ["weights", "sampler_weights"],
        description: "With --latest: only checkpoints of this kind",
      },
      include: {
        type: "string",
        multiple: true,
        valueName: "GLOB",
        description: "Extract only members matching (repeatable; * ? ** [..])",
      },
      exclude: {
        type: "string",
        multiple: true,
        valueName: "GLOB",
        description: "Skip members matching (repeatable)",
      },
      concurrency: {
        type: "integer",
        min: 1,
        max: 16,
        valueName: "N",
        description: "Downloads at once (default 2)",
      },
      quiet: { type: "boolean", short: "q", description: "Print only the destinations" },
      "dry-run": {
        type: "boolean",
        description: "Show destination, size and what would be skipped; transfer nothing",
      },
      "no-resume": {
        type: "boolean",
        description:
          "Start over instead of continuing an interrupted download; keep nothing on Ctrl-C",
      },
      "clean-partials": {
        type: "boolean",
        description: "Remove what interrupted downloads left in DIR (with --dry-run: list)",
      },
    },
    examples: [
      "tinkex checkpoint download tinker://RUN/sampler_weights/final -o ./ckpts",
      "tinkex checkpoint download --run-id RUN --latest --type sampler_weights -q",
      "tinkex checkpoint download PATH --include 'adapter_*' --exclude '*.bin'",
    ],
  },
  {
    name: "verify",
    summary: "Check downloaded checkpoints against their manifests",
    description: "Every file there with the size the archive had, nothing extra. Exit 1 if not.",
    args: [{ name: "DIR", required: true, variadic: true, description: "Downloaded directories" }],
    options: {},
    examples: ["tinkex checkpoint verify ./ckpts/RUN_sampler_weights_final"],
  },
  {
    name: "copy",
    summary: "Copy a checkpoint into a new training run of yours",
    description: "The source may be yours or another user's public checkpoint. The copy keeps\n" +
      "the kind and name, is private, and expires only as --ttl says. Prints the copy's path.",
    args: [PATH_ARG],
    options: { ttl: TTL("Expire the copy this long from now (default: never)") },
    examples: ["tinkex checkpoint copy tinker://RUN/sampler_weights/final --ttl 30d"],
  },
  {
    name: "url",
    summary: "Print a signed download URL for a checkpoint archive",
    description: "Prints the URL on stdout and its expiry on stderr. Fetch it without the API key.",
    args: [PATH_ARG],
    options: {},
    examples: ['curl -o ckpt.tar "$(tinkex checkpoint url tinker://RUN/weights/0001)"'],
  },
  {
    name: "publish",
    summary: "Make checkpoints public",
    args: [PATHS_ARG],
    options: {},
  },
  {
    name: "unpublish",
    summary: "Make checkpoints private",
    args: [PATHS_ARG],
    options: {},
  },
  {
    name: "set-ttl",
    summary: "Set or remove a checkpoint's expiry",
    args: [PATH_ARG],
    options: {
      ttl: TTL("Expire this long from now"),
      remove: { type: "boolean", description: "Remove the expiry: keep it forever" },
    },
    examples: [
      "tinkex checkpoint set-ttl tinker://RUN/weights/0001 --ttl 604800",
      "tinkex checkpoint set-ttl tinker://RUN/weights/0001 --ttl 7d",
    ],
  },
  {
    name: "delete",
    summary: "Delete checkpoints permanently",
    description: "Give paths, or --run-id with optional filters. Asks for confirmation unless -y.",
    args: [{ ...PATHS_ARG, required: false }],
    options: {
      "run-id": { ...RUN_ID, description: "Delete this run's checkpoints (with the filters)" },
      type: {
        type: "string",
        valueName: "TYPE",
        choices: ["weights", "sampler_weights", "external_weights"],
        description: "With --run-id: only this kind",
      },
      before: {
        type: "date",
        valueName: "DATE",
        description: "With --run-id: only created before (2025-01-31, a date-time, or 7d)",
      },
      after: {
        type: "date",
        valueName: "DATE",
        description: "With --run-id: only created after",
      },
      meta: { ...META, description: "With --run-id: only with this metadata (repeatable)" },
      yes: YES,
    },
    examples: [
      "tinkex checkpoint delete tinker://RUN/weights/0001 tinker://RUN/weights/0002",
      "tinkex checkpoint delete --run-id RUN --type weights --before 30d -y",
      "tinkex checkpoint delete --run-id RUN --meta stage=warmup -y",
    ],
  },
  {
    name: "prune",
    summary: "Delete all but the newest N checkpoints of each run",
    description:
      "Training (weights) and sampler checkpoints are counted apart: the newest N of each kind\n" +
      "are kept in every run. Asks for confirmation unless -y.",
    args: [],
    options: {
      keep: {
        type: "integer",
        min: 1,
        valueName: "N",
        description: "How many of the newest to keep per run and kind (required)",
      },
      "run-id": { ...RUN_ID, description: "Only prune this run" },
      "older-than": {
        type: "date",
        valueName: "AGE",
        description: "Only checkpoints older than this: an age such as 30d or 12h (or a date)",
      },
      "larger-than": {
        type: "string",
        valueName: "SIZE",
        description: "Only checkpoints larger than this, e.g. 500MB or 1.5GB (1024 steps)",
      },
      concurrency: {
        type: "integer",
        min: 1,
        max: 64,
        valueName: "N",
        description: "Deletions at once (default 8)",
      },
      meta: { ...META, description: "Only consider checkpoints with this metadata (repeatable)" },
      "dry-run": { type: "boolean", description: "Show what would be deleted; delete nothing" },
      yes: YES,
    },
    examples: [
      "tinkex checkpoint prune --keep 3 --dry-run",
      "tinkex checkpoint prune --keep 1 --older-than 30d --larger-than 1GB -y",
    ],
  },
];

/** Every command group of `tinkex`. */
export const GROUPS: readonly GroupSpec[] = [
  {
    name: "checkpoint",
    summary: "List, inspect, download, publish, expire and delete checkpoints",
    load: () => import("./checkpoint.ts"),
    commands: CHECKPOINT_COMMANDS,
  },
  {
    name: "run",
    summary: "List and inspect training runs",
    load: () => import("./run.ts"),
    commands: [
      {
        name: "list",
        summary: "List training runs",
        args: [],
        options: {
          limit: LIMIT("runs"),
          offset: OFFSET,
          "access-scope": ACCESS_SCOPE,
          "project-id": {
            type: "string",
            valueName: "ID",
            description: "Only runs in this project",
          },
        },
      },
      {
        name: "info",
        summary: "Show a training run",
        args: [{ name: "RUN_ID", required: true, description: "The training run id" }],
        options: { "access-scope": ACCESS_SCOPE },
      },
    ],
  },
  {
    name: "session",
    summary: "List, inspect and finish sessions",
    load: () => import("./session.ts"),
    commands: [
      {
        name: "list",
        summary: "List session ids",
        args: [],
        options: { limit: LIMIT("sessions"), offset: OFFSET },
      },
      {
        name: "info",
        summary: "Show a session's training runs and samplers",
        args: [{ name: "ID", required: true, description: "The session id" }],
        options: {},
      },
      {
        name: "finish",
        summary: "Mark a session finished (as the official SDK does when it closes)",
        description: "The first reason given wins; the session then takes no more heartbeats.",
        args: [{ name: "ID", required: true, description: "The session id" }],
        options: {
          reason: {
            type: "string",
            valueName: "REASON",
            choices: ["success", "errored", "interrupted"],
            description: "How it ended (default success)",
          },
          detail: { type: "string", valueName: "TEXT", description: "A note on why" },
        },
        examples: ["tinkex session finish SESSION --reason errored --detail 'loss diverged'"],
      },
      {
        name: "export-trace",
        summary: "Export a session's timeline as a trace file and download it",
        description:
          "Polls until the service has built the trace (every 5 s), then downloads it\n" +
          "from its signed URL (no API key). Open it at https://ui.perfetto.dev.",
        args: [{ name: "ID", required: true, description: "The session id" }],
        options: {
          output: {
            type: "string",
            short: "o",
            valueName: "PATH",
            description: "File to save it to, or a directory for <session-id>.pftrace (default .)",
          },
          "url-only": { type: "boolean", description: "Print the signed URL; do not download" },
        },
        examples: ["tinkex session export-trace SESSION -o trace.pftrace"],
      },
      {
        name: "set-project",
        summary: "Move a session (with its runs and samplers) into a project",
        args: [
          { name: "ID", required: true, description: "The session id" },
          { name: "PROJECT", required: true, description: "The destination project id" },
        ],
        options: {},
      },
    ],
  },
  // Credentials and the account's view (issue 17).
  {
    name: "storage",
    summary: "Show what checkpoints cost in storage, per run, and what prune would free",
    load: () => import("./storage.ts"),
    command: {
      name: "storage",
      summary: "Totals, then per run: checkpoints, size, oldest, newest, what prune frees",
      description: "Lists your checkpoints and adds the service's own figures (rate, monthly\n" +
        "estimate) when it has them.",
      args: [],
      options: {
        keep: {
          type: "integer",
          min: 1,
          valueName: "N",
          description: "Show what 'checkpoint prune --keep N' would free (default 1)",
        },
        "project-id": { type: "string", valueName: "ID", description: "Only this project" },
      },
      examples: ["tinkex storage", "tinkex storage --keep 3 --json"],
    },
  },
  {
    name: "billing",
    summary: "Show hourly billing usage",
    load: () => import("./billing.ts"),
    commands: [
      {
        name: "usage",
        summary: "Hourly usage rows of the organization in [START, END)",
        description: "START and END are RFC 3339 times on UTC hour boundaries, at most 14 days\n" +
          "apart, not starting in the future (e.g. 2026-07-13T00:00:00Z).",
        args: [
          { name: "START", required: true, description: "Inclusive window start" },
          { name: "END", required: true, description: "Exclusive window end" },
        ],
        options: {
          csv: {
            type: "string",
            valueName: "PATH",
            description: "Write the rows as CSV to PATH ('-' for stdout) instead",
          },
          "sessions-csv": {
            type: "string",
            valueName: "PATH",
            description: "Also write session_id,user_metadata as CSV to PATH ('-' for stdout)",
          },
        },
        examples: [
          "tinkex billing usage 2026-07-13T00:00:00Z 2026-07-14T00:00:00Z --csv usage.csv",
        ],
      },
    ],
  },
  {
    name: "audit",
    summary: "Show a day of the organization's audit log (admin role)",
    load: () => import("./audit.ts"),
    command: {
      name: "audit",
      summary: "A day of the audit log (needs the admin role)",
      args: [],
      options: {
        day: {
          type: "string",
          valueName: "YYYY-MM-DD",
          description: "The UTC day (default: today)",
        },
        "event-type": {
          type: "string",
          valueName: "TYPE",
          choices: ["all", "checkpoints", "projects", "teams", "organizations"],
          description: "Which events (default all)",
        },
        jsonl: { type: "boolean", description: "One JSON entry per line (for jq and logs)" },
      },
      examples: ["tinkex audit --day 2026-07-13 --jsonl"],
    },
  },
  {
    name: "auth",
    summary: "Show which credential is in use and whether the server takes it",
    load: () => import("./auth.ts"),
    commands: [
      {
        name: "status",
        summary: "Show the credential in use (redacted), its source, and whether it works",
        description:
          "Credentials are looked up as the official SDK does: --api-key, TINKER_API_KEY,\n" +
          "TINKER_CREDENTIAL_CMD, then the default key in ~/.tinker/credentials.json\n" +
          "(written by 'tinker auth login'). Exit 1 when none is found or the server refuses it.",
        args: [],
        options: {},
        examples: ["tinkex auth status", "tinkex auth status --json"],
      },
    ],
  },
  {
    name: "serve",
    summary: "Run the local Tinker-compatible server",
    load: () => import("./serve.ts"),
    command: {
      name: "serve",
      summary: "Run the local Tinker-compatible server until Ctrl-C",
      description: "Prints the base URL, the API key(s) and an export line (with --json: one\n" +
        "JSON object with base_url, data_dir and api_keys), then serves until Ctrl-C.",
      args: [],
      options: {
        data: {
          type: "string",
          valueName: "DIR",
          description: "Data directory, kept across restarts (default: a temporary one)",
        },
        port: {
          type: "integer",
          max: 65535,
          valueName: "N",
          description: "Port to listen on (default 8080; 0 picks a free port)",
        },
        host: {
          type: "string",
          valueName: "HOST",
          description: "Interface to listen on (default 127.0.0.1)",
        },
        "api-key": {
          type: "string",
          multiple: true,
          valueName: "KEY",
          description: "Accepted API key, one user per key (repeatable; default tml-local-dev-key)",
        },
        "api-key-file": {
          type: "string",
          valueName: "FILE",
          description: "More keys, one per line, kept out of `ps` (also: TINKEX_SERVE_API_KEYS)",
        },
        "public-url": {
          type: "string",
          valueName: "URL",
          description:
            "URL clients reach the server at, for signed URLs (default: the listen address)",
        },
        seed: {
          type: "boolean",
          description: "Fill an empty data directory with sample runs and checkpoints",
        },
        jwt: {
          type: "string",
          valueName: "MODE",
          choices: ["off", "on", "required"],
          description: "JWT auth: off (default), on (keys are exchanged for JWTs), required",
        },
        "credential-source": {
          type: "string",
          valueName: "SOURCE",
          choices: ["api_key", "credential_cmd"],
          description:
            "With --jwt: api_key (default) or credential_cmd (clients exchange TINKER_CREDENTIAL_CMD's output)",
        },
        "admin-key": {
          type: "string",
          multiple: true,
          valueName: "KEY",
          description: "Key of a user with the admin role (audit log; default: the first key)",
        },
        "base-model": {
          type: "string",
          multiple: true,
          valueName: "NAME",
          description:
            "Accept only these base models (repeatable; listed by get_server_capabilities)",
        },
        cors: {
          type: "string",
          multiple: true,
          valueName: "ORIGIN",
          description:
            "Let browser pages from ORIGIN call the server (repeatable; * for any; default off)",
        },
      },
      globals: ["format", "json", "help"],
      examples: [
        "tinkex serve --data ./tinker-data --port 8000 --api-key tml-local --seed",
        "tinkex serve --jwt required --credential-source credential_cmd",
      ],
    },
  },
  {
    name: "version",
    summary: "Print the tinkex version",
    load: () => import("./version.ts"),
    command: { name: "version", summary: "Print the tinkex version", args: [], options: {} },
  },
];
