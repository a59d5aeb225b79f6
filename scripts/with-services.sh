#!/usr/bin/env bash
# Starts redis-server and MinIO on free loopback ports in a temporary folder,
# runs the given command with their addresses in the environment, then stops them.
#   SOHOA_TEST_REDIS_ADDR    host:port of Redis
#   SOHOA_TEST_S3_ENDPOINT   host:port of MinIO (plain HTTP)
#   SOHOA_TEST_S3_ACCESS_KEY, SOHOA_TEST_S3_SECRET_KEY
# Test packages run in parallel and share this Redis, each on its own databases:
# cmd/sohoa 1-19, pipeline/queue 20-39, pipeline/fixity 50-54, pipeline/metrics 55-59,
# pipeline/server 60-79 (and 115, issue 12 input tests); pipeline/queue's catalogue and stack tests 90-91;
# issue 16 (accounts, audit, dashboard): pipeline/accounts 85, pipeline/audit 87, pipeline/server 86 and 88, cmd/sohoa 89.
set -euo pipefail

tmp=$(mktemp -d /tmp/sohoa-services.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# free_port prints a loopback TCP port nobody listens on, below the kernel's
# ephemeral range (32768 and up), where outgoing connections could hold it.
free_port() {
  local p
  for _ in $(seq 200); do
    p=$(( (RANDOM % 12000) + 20000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "no free port" >&2; return 1
}

wait_for() { # name, command...
  local name=$1; shift
  for _ in $(seq 150); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "with-services: $name did not start" >&2
  cat "$tmp"/*.log >&2 || true
  return 1
}

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$tmp" --save '' --appendonly no \
  --maxmemory-policy noeviction --databases 128 >"$tmp/redis.log" 2>&1 &
pids+=($!)
wait_for redis redis-cli -p "$redis_port" ping

minio=$(go env GOPATH)/bin/minio
s3_port=$(free_port)
console_port=$(free_port)
export MINIO_ROOT_USER=sohoa-test MINIO_ROOT_PASSWORD=sohoa-test-secret-key
mkdir -p "$tmp/minio"
"$minio" server --quiet --address "127.0.0.1:$s3_port" --console-address "127.0.0.1:$console_port" "$tmp/minio" >"$tmp/minio.log" 2>&1 &
pids+=($!)
wait_for minio curl -sf "http://127.0.0.1:$s3_port/minio/health/live"

export SOHOA_TEST_REDIS_ADDR="127.0.0.1:$redis_port"
export SOHOA_TEST_S3_ENDPOINT="127.0.0.1:$s3_port"
export SOHOA_TEST_S3_ACCESS_KEY=$MINIO_ROOT_USER SOHOA_TEST_S3_SECRET_KEY=$MINIO_ROOT_PASSWORD
echo "with-services: redis at $SOHOA_TEST_REDIS_ADDR, minio at $SOHOA_TEST_S3_ENDPOINT"
"$@"
