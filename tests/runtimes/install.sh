#!/usr/bin/env bash
# Installs what the cross-runtime tests (tests/runtime_*.test.ts) need, and nothing at test time:
# the pinned npm tools of tests/runtimes/package-lock.json (esbuild, Vite, playwright-core,
# workerd, TypeScript, @types/node, Bun, modern-tar), Bun's own cache of modern-tar (so
# `bun install --offline` of the built package works), and Debian's chromium. Each step is
# skipped when already done. Run by .ci/run; locally: `deno task setup:runtimes`.
set -euo pipefail
cd "$(dirname "$0")"

if ! cmp -s package-lock.json node_modules/.tinkex-installed-lock 2>/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.tinkex-installed-lock
fi

# modern-tar at the version deno.json pins, into Bun's cache under tests/runtimes/.bun-cache.
tar_version=$(node -p 'require("../../deno.json").imports["modern-tar"].split("@").pop()')
if ! ls -d .bun-cache/modern-tar@"$tar_version"* >/dev/null 2>&1; then
  mkdir -p bun_cache_seed
  printf '{"private":true,"dependencies":{"modern-tar":"%s"}}\n' "$tar_version" \
    >bun_cache_seed/package.json
  node_modules/.bin/bun install --cwd bun_cache_seed --cache-dir "$PWD/.bun-cache" \
    --no-save --silent
  rm -rf bun_cache_seed
fi

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "Cannot install chromium: not root; run: sudo apt-get install -y chromium" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
