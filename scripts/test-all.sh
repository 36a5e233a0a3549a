#!/usr/bin/env bash
# Run every test suite this machine can run and say which ran.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL="${DATABASE_URL:-${PG_TEST_URL:-postgres://postgres@127.0.0.1:5432/guanxi}}"
ran=()
skipped=()
status=0

echo "== SQLite suite =="
if env -u DATABASE_URL "$BIN/pytest" -m "not browser" -q; then ran+=("sqlite"); else status=1; ran+=("sqlite (FAILED)"); fi

if "$BIN/python" - "$PG_URL" <<'PY' 2>/dev/null
import sys, psycopg, urllib.parse
url = urllib.parse.urlsplit(sys.argv[1])
psycopg.connect(host=url.hostname, port=url.port or 5432, user=url.username or "postgres",
                password=url.password, dbname="postgres", connect_timeout=3).close()
PY
then
  echo "== PostgreSQL suite ($PG_URL) =="
  if DATABASE_URL="$PG_URL" "$BIN/pytest" -m "not browser" -q; then ran+=("postgresql"); else status=1; ran+=("postgresql (FAILED)"); fi
else
  skipped+=("postgresql (no server at $PG_URL)")
fi

if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
  echo "== Browser suite (Chromium) =="
  if env -u DATABASE_URL "$BIN/pytest" -m browser -q; then ran+=("browser"); else status=1; ran+=("browser (FAILED)"); fi
else
  skipped+=("browser (no chromium; install it with: apt-get install chromium)")
fi

echo ""
echo "Suites run: ${ran[*]}"
[ ${#skipped[@]} -gt 0 ] && echo "Suites not run on this machine: ${skipped[*]}"
exit $status
