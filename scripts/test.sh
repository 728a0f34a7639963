#!/usr/bin/env bash
# The one test command (README "Pass all tests"; .ci/run calls exactly this). On a machine with only the .NET 10 SDK
# and Node.js it installs what the tests need and is missing, checks docker-compose.yml, then runs
# `dotnet test ComputeGrid.sln` with the arguments given here and exits with its status.
#
#   Debian packages (apt-get as root, else through sudo):
#     chromium        the /ops page's browser test (tests/ComputeGrid.Ops.Tests/browser drives it with playwright-core)
#     fonts-noto-cjk  Chinese glyphs for it (the page's title shows 东数西算; without a CJK font they render as boxes)
#     curl            the documented curl examples (tests/ComputeGrid.Gateway.Tests/Docs/CurlExampleTests.cs)
#     docker-compose  validates docker-compose.yml without a Docker engine
#     prometheus      promtool: checks and unit-tests deploy/prometheus (tests/ComputeGrid.Ops.Tests/DeployTests.cs)
#   npm ci, skipped where node_modules was installed from the same package-lock.json:
#     tests/ComputeGrid.Gateway.Tests/node   Spectral (OpenAPI lint) and the generated TypeScript client
#     tools/azurite                          Azurite for the cluster tests
#     tests/ComputeGrid.Ops.Tests/browser    playwright-core (uses the system's Chromium, downloads no browser)
#     tools/ops-page                         what the /ops page's committed vendor bundle is built from (its test checks it)
#
# Usage:
#   scripts/test.sh                               set up, then every test assembly
#   scripts/test.sh --setup-only                  set up and check, run no test
#   scripts/test.sh --filter Category=Chaos       set up, then dotnet test ComputeGrid.sln --filter Category=Chaos
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

setup_only=false
if [ "${1:-}" = "--setup-only" ]; then
  setup_only=true
  shift
fi

# The folders whose package-lock.json pins the tests' Node tools; a stamp in node_modules names the lock it came from
# (tests/TestSetup.targets reads the same stamp to refuse a stale install).
npm_folders=(tests/ComputeGrid.Gateway.Tests/node tools/azurite tests/ComputeGrid.Ops.Tests/browser tools/ops-page)
stamp_name=.package-lock.sha256

fail() {
  echo "scripts/test.sh: $*" >&2
  exit 1
}

step() { echo "== $*"; }

mkdir -p artifacts
setup_log=$root/artifacts/test-setup.log
: >"$setup_log"

# --- tools that must already be there -------------------------------------------------------------------------------
command -v dotnet >/dev/null 2>&1 || fail "the .NET 10 SDK is required (dotnet is not on PATH; see global.json)."
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
  || fail "Node.js with npm is required (node or npm is not on PATH): the gateway's OpenAPI lint and TypeScript client tests, Azurite and the /ops browser test run on it."

# --- Debian packages -------------------------------------------------------------------------------------------------
has_chromium() {
  # The same lookup as OpsPageTests: CHROMIUM_PATH when set, else the Debian package's binary.
  if [ -n "${CHROMIUM_PATH:-}" ]; then
    [ -f "$CHROMIUM_PATH" ]
  else
    [ -f /usr/bin/chromium ] || [ -f /usr/bin/chromium-browser ]
  fi
}
has_cjk_font() { command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list ':lang=zh-cn' family 2>/dev/null)" ]; }
has_command() { command -v "$1" >/dev/null 2>&1; }

missing=()
has_chromium || missing+=(chromium)
has_cjk_font || missing+=(fonts-noto-cjk)
has_command curl || missing+=(curl)
has_command docker-compose || missing+=(docker-compose)
has_command promtool || missing+=(prometheus)

if [ ${#missing[@]} -gt 0 ]; then
  step "apt-get install ${missing[*]}"
  has_command apt-get || fail "apt-get is missing (not a Debian or Ubuntu machine): install ${missing[*]} with this system's package manager, then run scripts/test.sh again."
  as_root=()
  if [ "$(id -u)" -ne 0 ]; then
    if has_command sudo && { [ -t 0 ] || sudo -n true 2>/dev/null; }; then
      as_root=(sudo)
    else
      fail "installing ${missing[*]} needs root: run 'sudo apt-get install -y ${missing[*]}' (or scripts/test.sh as root), then scripts/test.sh again."
    fi
  fi
  apt=("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -qq)
  if ! { "${apt[@]}" update && "${apt[@]}" install -y --no-install-recommends "${missing[@]}"; } >>"$setup_log" 2>&1; then
    tail -n 20 "$setup_log" >&2
    fail "apt-get could not install ${missing[*]} (the whole log: artifacts/test-setup.log)."
  fi
  has_chromium || fail "chromium is still missing after apt-get install (CHROMIUM_PATH=${CHROMIUM_PATH:-unset})."
  has_cjk_font || fail "no font for Chinese (fc-list :lang=zh-cn) after installing fonts-noto-cjk."
  has_command promtool || fail "promtool is still missing after installing prometheus."
fi

# --- npm ci ----------------------------------------------------------------------------------------------------------
for folder in "${npm_folders[@]}"; do
  lock_hash=$(sha256sum "$folder/package-lock.json" | cut -d ' ' -f 1)
  stamp=$folder/node_modules/$stamp_name
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$lock_hash" ]; then
    step "npm ci in $folder: up to date"
    continue
  fi
  step "npm ci in $folder"
  if ! (cd "$folder" && npm ci --no-audit --no-fund --loglevel=error) >>"$setup_log" 2>&1; then
    tail -n 20 "$setup_log" >&2
    fail "npm ci failed in $folder (the whole log: artifacts/test-setup.log)."
  fi
  echo "$lock_hash" >"$stamp"
done

# --- docker-compose.yml ----------------------------------------------------------------------------------------------
# Parsed and validated without an engine. The secrets it reads stay out of git: the variables it substitutes come from
# .env when there is one, else from a temporary file that sets each to a placeholder; an env_file that does not exist
# is created for the check from its .example next to it (else empty) and removed afterwards.
step "docker-compose config"
created=()
placeholder_env=
cleanup() {
  for file in "${created[@]}"; do rm -f "$file"; done
  if [ -n "$placeholder_env" ]; then rm -f "$placeholder_env"; fi
}
trap cleanup EXIT
compose=(docker-compose)
if [ ! -f .env ]; then
  placeholder_env=$(mktemp)
  { grep -oE '\$\{[A-Za-z_][A-Za-z0-9_]*' docker-compose.yml || true; } | sort -u \
    | sed -e 's/^\${//' -e 's/$/=placeholder-for-validation/' >"$placeholder_env"
  compose+=(--env-file "$placeholder_env")
fi
compose+=(-f docker-compose.yml config -q)
valid=false
for _ in 1 2 3 4 5 6 7 8 9 10; do
  if output=$("${compose[@]}" 2>&1); then
    valid=true
    break
  fi
  # docker-compose 1.x: "Couldn't find env file: /path"; Compose 2: "env file /path not found".
  env_file=$(sed -nE -e "s/.*Couldn't find env file: (.*)$/\1/p" -e 's/.*env file (.*) not found.*/\1/p' <<<"$output" | head -n 1)
  case "$env_file" in
    "$root"/*) ;;
    *)
      echo "$output" >&2
      fail "docker-compose.yml is invalid (docker-compose config)."
      ;;
  esac
  if [ -f "$env_file.example" ]; then cp "$env_file.example" "$env_file"; else : >"$env_file"; fi
  created+=("$env_file")
done
cleanup
$valid || fail "docker-compose.yml is invalid (docker-compose config): $output"
created=()
placeholder_env=

if $setup_only; then
  echo "Set-up complete: run scripts/test.sh (or dotnet test ComputeGrid.sln) for the tests."
  exit 0
fi

# --- the tests -------------------------------------------------------------------------------------------------------
step "dotnet test ComputeGrid.sln $*"
exec dotnet test ComputeGrid.sln "$@"
