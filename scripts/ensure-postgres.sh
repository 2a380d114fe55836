#!/bin/sh
# Starts the local PostgreSQL cluster when it is installed but not running (tests use 127.0.0.1:5432/test).
if command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; then
  exit 0
fi
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start || true
fi
i=0
while [ $i -lt 30 ]; do
  pg_isready -q -h 127.0.0.1 -p 5432 && exit 0
  i=$((i + 1)); sleep 1
done
echo "PostgreSQL is not reachable on 127.0.0.1:5432; PostgreSQL tests need it" >&2
exit 1
