#!/usr/bin/env bash
# Issue 15, item 5: partitioned Redis streams, publish and consume throughput on a Redis Cluster of
# 1 master and of 3 masters (each with one replica), and the ratio 3 : 1. PartitionedStreamsBench
# starts each cluster itself (weft-test's RedisCluster: redis-server processes on free loopback
# ports, stopped by pid) and checks that as many events were handled as published, none left pending.
#
#   weft-bench/partitioned-bench.sh [events] [partitions] [body-bytes] [publishers] [workers] [rounds]
#                                                              (defaults: 200000 6 200 4 1 3)
#   weft-bench/partitioned-bench.sh quick                      (smoke run: 20000 events, 1 round)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v redis-server >/dev/null && command -v redis-cli >/dev/null \
  || { echo "partitioned-bench: needs redis-server and redis-cli (apt-get install -y --no-install-recommends redis-server redis-tools)" >&2; exit 2; }
if [ "${1:-}" = quick ]; then set -- 20000 6 200 4 1 1; fi
./dev mvn -B -q -pl weft-bench -am package -DskipTests >/dev/null
JAVA_HOME=$(./dev mvn -v 2>&1 >/dev/null | sed -n 's/^dev: using JDK at \([^ ]*\) .*/\1/p')
"$JAVA_HOME/bin/java" -cp weft-bench/target/benchmarks.jar dev.weft.bench.PartitionedStreamsBench "$@" 2>/dev/null
