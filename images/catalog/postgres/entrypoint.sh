#!/bin/sh
# Starts PostgreSQL like the official image does, for the variables Stackyard's catalog uses.
#
# PGDATA may be an empty directory (a bind mount owned by root) or hold the cluster of an
# earlier run. When it holds no cluster, one is created with POSTGRES_USER as its superuser
# (password POSTGRES_PASSWORD, required for connections over the network; connections over
# the local socket are trusted) and the database POSTGRES_DB. An existing cluster is started
# as it is. The server runs as the user postgres and listens on every address; SIGTERM stops
# it with a fast, clean shutdown.
set -eu

: "${PGDATA:=/var/lib/postgresql/data}"
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
export PGDATA

if [ "${1#-}" != "$1" ]; then
  set -- postgres "$@"
fi
# `sh -c 'COMMAND'` (a shell-form command) keeps the shell as the server's parent: a stop
# signal would end the shell, and the server would be killed instead of shutting down. A
# single simple command is therefore run with exec; anything more is left as it is.
if [ "$#" = 3 ] && { [ "$1" = sh ] || [ "$1" = /bin/sh ]; } && [ "$2" = -c ]; then
  case "$3" in
    *[\;\&\|\(\)!]* | *"
"* | exec\ *) ;;
    *)
      case "${3%% *}" in
        *=*) ;;  # it starts with a variable assignment
        *) set -- "$1" -c "exec $3" ;;
      esac
      ;;
  esac
fi
# The server starts from `postgres ...` or a shell-form command running it.
starts_server=false
case "$1" in
  postgres) starts_server=true ;;
  sh | /bin/sh)
    case "${2:-} ${3:-}" in
      "-c postgres"* | "-c exec postgres"*) starts_server=true ;;
    esac
    ;;
esac
if [ "$starts_server" = false ]; then
  exec "$@"
fi

if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  chown postgres:postgres /var/run/postgresql
  find "$PGDATA" ! -user postgres -exec chown postgres:postgres {} +
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "error: the data directory $PGDATA holds no database and POSTGRES_PASSWORD is not" \
         "set; set it to create one" >&2
    exit 1
  fi
  pwfile=$(mktemp)
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  # --no-sync: a first start must be fast, and a crash before the first checkpoint only
  # loses a database that held nothing yet.
  initdb --no-sync --no-instructions --username="$POSTGRES_USER" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 \
    --text-search-config=english
  rm -f "$pwfile"
  printf '%s\n' "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
  printf '%s\n' "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    # Single-user mode creates the database without starting (and waiting for) a server.
    db=$(printf '%s' "$POSTGRES_DB" | sed 's/"/""/g')
    printf 'CREATE DATABASE "%s"\n' "$db" |
      postgres --single -F -D "$PGDATA" -c exit_on_error=on -c log_checkpoints=off postgres \
        >/dev/null
  fi
  echo "created the database \"$POSTGRES_DB\" owned by \"$POSTGRES_USER\" in $PGDATA"
fi

# SIGTERM asks PostgreSQL for a smart shutdown, which waits for every client to disconnect;
# a container being stopped wants the fast one (SIGINT), which ends open sessions and still
# shuts down cleanly. So the server runs as this shell's child, and the shell passes TERM on
# as INT (and HUP, to reload the configuration, and QUIT as they are).
"$@" &
pid=$!
trap 'kill -INT "$pid" 2>/dev/null || true' TERM INT
trap 'kill -HUP "$pid" 2>/dev/null || true' HUP
trap 'kill -QUIT "$pid" 2>/dev/null || true' QUIT
while :; do
  status=0
  wait "$pid" || status=$?
  # wait also returns when a trapped signal arrives: go on waiting while the server runs.
  kill -0 "$pid" 2>/dev/null || exit "$status"
done
