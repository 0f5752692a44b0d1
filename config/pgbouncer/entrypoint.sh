#!/bin/sh
# Writes pgbouncer's configuration from the environment, then runs it in the foreground.
set -eu
conf=/tmp/pgbouncer
mkdir -p "$conf"
printf '"%s" "%s"\n' "$DB_USER" "$DB_PASSWORD" > "$conf/userlist.txt"
cat > "$conf/pgbouncer.ini" <<INI
[databases]
$DB_NAME = host=$DB_HOST port=${DB_PORT:-5432} dbname=$DB_NAME

[pgbouncer]
listen_addr = 0.0.0.0
listen_port = 6432
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $conf/userlist.txt
pool_mode = transaction
max_client_conn = ${MAX_CLIENT_CONN:-2000}
default_pool_size = ${DEFAULT_POOL_SIZE:-40}
ignore_startup_parameters = extra_float_digits,options
INI
exec pgbouncer "$conf/pgbouncer.ini"
