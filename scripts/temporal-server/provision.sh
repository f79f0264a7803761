#!/usr/bin/env bash
# Provisions the production Temporal topology for the bench (BENCH_TEMPORAL=server): Temporal
# Server and its SQL schema tool built from the Go module proxy into .cache/temporal-server/, and
# PostgreSQL from Debian if this machine has none. Idempotent: a second run does nothing. Not run
# by `npm test` nor scripts/provision.sh (the build takes ~6 minutes of two cores).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEST="$ROOT/.cache/temporal-server"
SERVER_VERSION=1.32.2
# The server module asks for a newer Go than Debian's; the toolchain comes from the module proxy too.
GO_TOOLCHAIN=go1.26.10
say() { echo "[provision temporal-server] $*" >&2; }

if [ ! -x "$DEST/bin/server" ] || [ ! -x "$DEST/bin/sql" ] || [ ! -d "$DEST/schema/postgresql/v12" ] \
  || ! grep -qx "$SERVER_VERSION" "$DEST/.version" 2>/dev/null; then
  command -v go >/dev/null 2>&1 || { say "missing 'go': install Go 1.22+ (e.g. apt-get install -y golang-go); it fetches $GO_TOOLCHAIN itself"; exit 1; }
  mkdir -p "$DEST/bin"
  say "building the SQL schema tool $SERVER_VERSION (go install, ~1 min)"
  GOTOOLCHAIN=$GO_TOOLCHAIN GOBIN="$DEST/bin" go install "go.temporal.io/server/cmd/tools/sql@v$SERVER_VERSION" >&2
  say "building Temporal Server $SERVER_VERSION (go install, ~5 min on 2 cores)"
  GOTOOLCHAIN=$GO_TOOLCHAIN GOBIN="$DEST/bin" go install "go.temporal.io/server/cmd/server@v$SERVER_VERSION" >&2
  # The versioned schema ships in the module; keep a copy beside the binaries it belongs to.
  MODULE="$(GOTOOLCHAIN=$GO_TOOLCHAIN go env GOMODCACHE)/go.temporal.io/server@v$SERVER_VERSION"
  rm -rf "$DEST/schema"; mkdir -p "$DEST/schema/postgresql"
  cp -r "$MODULE/schema/postgresql/v12" "$DEST/schema/postgresql/"
  chmod -R u+w "$DEST/schema"
  echo "$SERVER_VERSION" > "$DEST/.version"
fi

# PostgreSQL: any installed major version will do (initdb and pg_ctl are all the bench uses).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || { say "missing PostgreSQL: install it (initdb, pg_ctl)"; exit 1; }
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  say "installing PostgreSQL (apt-get install -y postgresql)"
  $SUDO apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >&2
fi
