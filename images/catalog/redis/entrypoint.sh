#!/bin/sh
# Runs the command (by default redis-server, which keeps its files in the working directory
# /data) as the user redis, after giving it the data directory, which may be a bind mount
# owned by root.
set -eu

if [ "${1#-}" != "$1" ]; then
  set -- redis-server "$@"
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
if [ "$(id -u)" = 0 ]; then
  mkdir -p /data
  find /data ! -user redis -exec chown redis:redis {} +
  exec setpriv --reuid=redis --regid=redis --init-groups "$@"
fi
exec "$@"
