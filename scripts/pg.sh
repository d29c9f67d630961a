#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests.
#
#   scripts/pg.sh start DIR PORT   # initdb DIR/data (if needed) and start on 127.0.0.1:PORT
#   scripts/pg.sh stop DIR         # stop it (fast shutdown); DIR is left for the caller to remove
#
# Superuser "postgres", trust auth, no password:
#   postgres://postgres@127.0.0.1:PORT/postgres
# PostgreSQL refuses to run as root, so as root everything runs as the
# "postgres" system user via runuser; as any other user it runs directly.
set -euo pipefail

usage() {
    echo "usage: $0 start DIR PORT | $0 stop DIR" >&2
    exit 2
}

pg_bindir() {
    local d
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] && { echo "$d"; }
    done | sort -V | tail -n 1
}

BINDIR="$(pg_bindir)"
if [ -z "$BINDIR" ]; then
    echo "pg.sh: no /usr/lib/postgresql/*/bin/initdb; apt-get install -y postgresql" >&2
    exit 1
fi

if [ "$(id -u)" = 0 ]; then
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi

cmd="${1:-}"
case "$cmd" in
start)
    [ $# -eq 3 ] || usage
    DIR="$2"
    PORT="$3"
    mkdir -p "$DIR"
    DIR="$(cd "$DIR" && pwd)"
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$DIR"
        chmod 755 "$DIR"
        # The postgres user must be able to traverse every parent directory
        # (mktemp -d makes 0700 directories).
        p="$(dirname "$DIR")"
        while [ "$p" != / ]; do
            if ! runuser -u postgres -- test -x "$p"; then
                chmod o+x "$p"
            fi
            p="$(dirname "$p")"
        done
    fi
    if [ ! -f "$DIR/data/PG_VERSION" ]; then
        locale=C.UTF-8
        if ! locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
            locale=C
        fi
        if ! as_pg "$BINDIR/initdb" -D "$DIR/data" -U postgres --auth=trust \
                -E UTF8 --locale="$locale" >"$DIR/initdb.log" 2>&1; then
            if [ "$locale" != C ]; then
                rm -rf "$DIR/data"
                as_pg "$BINDIR/initdb" -D "$DIR/data" -U postgres --auth=trust \
                    -E UTF8 --locale=C >"$DIR/initdb.log" 2>&1 || {
                    cat "$DIR/initdb.log" >&2
                    exit 1
                }
            else
                cat "$DIR/initdb.log" >&2
                exit 1
            fi
        fi
    fi
    if ! as_pg "$BINDIR/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -t 60 \
            -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
            start >/dev/null; then
        echo "pg.sh: pg_ctl start failed; server log:" >&2
        cat "$DIR/log" >&2 || true
        exit 1
    fi
    echo "pg.sh: PostgreSQL running on 127.0.0.1:$PORT (data $DIR/data)"
    ;;
stop)
    [ $# -eq 2 ] || usage
    DIR="$2"
    if [ -f "$DIR/data/postmaster.pid" ]; then
        as_pg "$BINDIR/pg_ctl" -D "$DIR/data" -m fast -w -t 60 stop >/dev/null
        echo "pg.sh: PostgreSQL stopped ($DIR/data)"
    fi
    ;;
*)
    usage
    ;;
esac
