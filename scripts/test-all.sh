#!/usr/bin/env bash
# Installs whatever the tests need that is missing, then runs the static checks (typecheck, lint
# with the dependency rules) and every suite (vitest, pytest, go test), and ends with one line
# "N passed, N failed" summed over all of them; each static check counts as one test.
# Tests that need NATS or Redis start their own nats-server / redis-server on free ports.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
log() { printf '\n== %s\n' "$*"; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else "$@"; fi; }

missing=()
command -v nats-server >/dev/null || missing+=(nats-server)
command -v redis-server >/dev/null || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  log "Installing ${missing[*]} from Debian packages"
  as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
    || { echo "could not install ${missing[*]}" >&2; exit 1; }
fi

log "npm packages"
# npm install (it follows package-lock.json) rather than npm ci: npm 11 writes lock files without
# the other platforms' optional packages (msgpackr-extract's), which npm ci then refuses.
npm install --no-audit --no-fund || exit 1

if [ -f multilang/python/pyproject.toml ]; then
  log "Python dependencies of multilang/python"
  python3 -m pip install -q -e "./multilang/python[test]" || exit 1
  python3 -c "import build" 2>/dev/null || python3 -m pip install -q build || exit 1
fi
if [ -f multilang/go/go.mod ]; then
  log "Go dependencies of multilang/go"
  (cd multilang/go && go mod download) || exit 1
fi

results=$(mktemp -d)
status=0

# Static checks: each passes or fails as one test in the final count.
checks_passed=0
checks_failed=0
check() {
  local name=$1
  shift
  log "$name"
  if "$@"; then
    checks_passed=$((checks_passed + 1))
  else
    echo "FAIL $name"
    checks_failed=$((checks_failed + 1))
    status=1
  fi
}
check "npm run typecheck" npm run --silent typecheck
check "npm run lint" npm run --silent lint

log "vitest"
npx vitest run --reporter=default --reporter=json --outputFile="$results/vitest.json" || status=1

if [ -d multilang/python/tests ]; then
  log "pytest"
  python3 -m pytest multilang/python/tests -q --junitxml="$results/pytest.xml"
  rc=$?
  # Exit code 5 means "no tests collected": an empty suite must not pass silently either. A
  # non-zero exit with no failure in the report (no tests, pytest missing) counts as one.
  if [ $rc -ne 0 ]; then
    status=1
    grep -qE 'failures="[1-9]|errors="[1-9]' "$results/pytest.xml" 2>/dev/null \
      || echo '<testsuite tests="1" failures="1"/>' > "$results/pytest-exit.xml"
  fi
  log "pytest against the built wheel"
  bash scripts/test-python-wheel.sh --junitxml="$results/pytest-wheel.xml" || status=1
  # A wheel that does not build leaves no report: count it as a failure.
  [ -f "$results/pytest-wheel.xml" ] || echo '<testsuite tests="1" failures="1"/>' > "$results/pytest-wheel.xml"
fi

if [ -f multilang/go/go.mod ]; then
  check "go vet" bash -c 'cd multilang/go && go vet ./...'
  log "go test"
  (cd multilang/go && go test -count=1 -json ./... > "$results/go.json") || status=1
  python3 - "$results/go.json" <<'PY' || true
import json, sys
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("Action") == "fail" and e.get("Test"):
        print(f"FAIL {e.get('Package')} {e['Test']}")
PY
fi

python3 - "$results" "$checks_passed" "$checks_failed" <<'PY'
import json, os, sys
import xml.etree.ElementTree as ET
d = sys.argv[1]
passed, failed, skipped = int(sys.argv[2]), int(sys.argv[3]), 0
p = os.path.join(d, "vitest.json")
if os.path.exists(p):
    v = json.load(open(p))
    passed += v.get("numPassedTests", 0)
    failed += v.get("numFailedTests", 0) + (0 if v.get("success", True) or v.get("numFailedTests") else 1)
    skipped += v.get("numPendingTests", 0) + v.get("numTodoTests", 0)
else:
    failed += 1
for p in (os.path.join(d, f) for f in ("pytest.xml", "pytest-exit.xml", "pytest-wheel.xml")):
    if not os.path.exists(p):
        continue
    for s in ET.parse(p).getroot().iter("testsuite"):
        t, f, e, sk = (int(s.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
        passed += t - f - e - sk
        failed += f + e
        skipped += sk
p = os.path.join(d, "go.json")
if os.path.exists(p):
    # A package that fails without a failing test (it does not build) counts as one failure.
    packages_failed, packages_with_failed_test = set(), set()
    for line in open(p):
        try:
            e = json.loads(line)
        except ValueError:
            continue
        a = e.get("Action")
        if not e.get("Test"):
            if a == "fail": packages_failed.add(e.get("Package"))
            continue
        if a == "pass": passed += 1
        elif a == "fail":
            failed += 1
            packages_with_failed_test.add(e.get("Package"))
        elif a == "skip": skipped += 1
    failed += len(packages_failed - packages_with_failed_test)
print()
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
rm -rf "$results"
exit $status
