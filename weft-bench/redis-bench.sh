#!/usr/bin/env bash
# Issue 6, item 10: Redis stream publish and consume, Weft beside redis-benchmark and raw Lettuce,
# in one run against a redis-server this script starts (loopback, free port, no persistence) and stops.
#
#   weft-bench/redis-bench.sh [entries] [body-bytes] [rate/s] [seconds]    (defaults: 200000 200 2000 5)
#
# Prints redis-benchmark's XADD rate at pipeline depth 100 on one connection (-c 1 -P 100), then
# RedisStreamsBench's figures (raw Lettuce and Weft, both 100 deep on one connection, entries with
# the same four fields and body size), and the ratios the issue sets as targets. Consuming is
# measured against the Java floor, a raw Lettuce loop (XREADGROUP COUNT 100, then the batch's XACKs
# pipelined, no handler work; issue 12), and against redis-benchmark's XADD rate.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-200000}"; BODY="${2:-200}"; RATE="${3:-2000}"; SECS="${4:-5}"
command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null \
  || { echo "redis-bench: needs redis-server and redis-benchmark (apt-get install -y --no-install-recommends redis-server)" >&2; exit 2; }
./dev mvn -B -q -pl weft-bench -am package -DskipTests >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DIR=$(mktemp -d)
redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize no --dir "$DIR" --logfile "$DIR/redis.log" &
PID=$!
trap 'kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 100); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.05; done
ID=00000000-0000-0000-0000-000000000000
PAYLOAD=$(head -c "$BODY" /dev/zero | tr '\0' x)
RB=$(redis-benchmark -p "$PORT" -c 1 -P 100 -n "$N" -q XADD bench:rb MAXLEN '~' 10000000 '*' v 1 id "$ID" name bench.event body "$PAYLOAD" | tr '\r' '\n' | grep -o '[0-9.]* requests per second' | tail -1 | cut -d' ' -f1)
echo "redis_benchmark_xadd_P100 $RB ops/s"
redis-cli -p "$PORT" del bench:rb >/dev/null
JAVA_HOME=$(./dev mvn -v 2>&1 >/dev/null | sed -n 's/^dev: using JDK at \([^ ]*\) .*/\1/p')
OUT=$("$JAVA_HOME/bin/java" -cp weft-bench/target/benchmarks.jar dev.weft.bench.RedisStreamsBench "redis://127.0.0.1:$PORT" "$N" "$BODY" "$RATE" "$SECS" 2>/dev/null)
echo "$OUT"
WEFT=$(echo "$OUT" | awk '/^weft_publishAll_pipelined/ {print $2}')
LET=$(echo "$OUT" | awk '/^lettuce_xadd_pipelined/ {print $2}')
BUS=$(echo "$OUT" | awk '/^weft_bus_emit_to_stream/ {print $2}')
SEQ=$(echo "$OUT" | awk '/^weft_receive_ack_sequential/ {print $2}')
WRK=$(echo "$OUT" | awk '/^weft_worker_consume_ack/ {print $2}')
RAWC=$(echo "$OUT" | awk '/^lettuce_consume_ack / {print $2}')
awk -v w="$WEFT" -v l="$LET" -v b="$BUS" -v r="$RB" -v s="$SEQ" -v k="$WRK" -v c="$RAWC" 'BEGIN {
  printf "weft_publishAll_vs_lettuce %.2f ratio (target >= 0.90)\n", w/l
  printf "weft_bus_emit_vs_lettuce %.2f ratio (target >= 0.90)\n", b/l
  printf "weft_publishAll_vs_redis_benchmark %.2f ratio (target >= 0.70)\n", w/r
  printf "weft_bus_emit_vs_redis_benchmark %.2f ratio (target >= 0.70)\n", b/r
  printf "worker_consume_ack_vs_lettuce_consume_ack %.2f ratio (target >= 0.80)\n", k/c
  printf "worker_consume_ack_vs_redis_benchmark %.2f ratio (target >= 0.50)\n", k/r
  printf "lettuce_consume_ack_vs_redis_benchmark %.2f ratio (the Java floor itself, for comparison)\n", c/r
  printf "sequential_receive_ack_vs_redis_benchmark %.2f ratio (one round trip per ack, for comparison)\n", s/r }'
