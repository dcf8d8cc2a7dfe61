#!/usr/bin/env bash
# Issue 12, item 6: every comparison of the performance table in one command, one line per target
# with its ratio (Weft's time over the peer's) and met/MISSED.
#
#   weft-bench/compare.sh [--quick | -f <forks> -wi <warm-ups> -i <iterations>]   (default -f 2 -wi 3 -i 5)
#
# Builds the benchmark jars, runs the JMH comparisons (dev.weft.bench.Compare: medians over every
# iteration of every fork), the Spring Boot starter's per-request overhead (issue 14;
# dev.weft.bench.spring.SpringCompare, in weft-bench-spring), then, if redis-server and
# redis-benchmark are installed, redis-bench.sh for the Redis targets, then kafka-bench.sh for the
# Kafka targets (its own broker; --quick passes on). Takes about 10 minutes with the defaults plus
# the Kafka run, 3 with --quick (a smoke check).
# The machine should be otherwise idle: the ratios are only as good as the quiet around them.
set -euo pipefail
cd "$(dirname "$0")/.."
# weft-bench-preview (the StructuredTaskScope peer) is built on JDK 25 only; elsewhere weft-bench alone.
rm -f weft-bench-preview/target/benchmarks.jar
./dev mvn -B -q -pl weft-bench-preview -am package -DskipTests >/dev/null 2>&1 \
  || ./dev mvn -B -q -pl weft-bench -am package -DskipTests >/dev/null
JAVA_HOME=$(./dev mvn -v 2>&1 >/dev/null | sed -n 's/^dev: using JDK at \([^ ]*\) .*/\1/p')
if [ -f weft-bench-preview/target/benchmarks.jar ]; then
  "$JAVA_HOME/bin/java" --enable-preview -cp weft-bench-preview/target/benchmarks.jar dev.weft.bench.Compare "$@"
else
  "$JAVA_HOME/bin/java" -cp weft-bench/target/benchmarks.jar dev.weft.bench.Compare "$@"
fi
echo
echo "Spring Boot starter (weft-bench-spring; JMH's own output in weft-bench-spring/target/spring-compare.log):"
./dev mvn -B -q -pl weft-bench-spring -am package -DskipTests >/dev/null
if "$JAVA_HOME/bin/java" -cp weft-bench-spring/target/spring-benchmarks.jar dev.weft.bench.spring.SpringCompare "$@" \
    > weft-bench-spring/target/spring-compare.log 2>&1; then
  sed -n '/^Medians/,$p' weft-bench-spring/target/spring-compare.log
else
  tail -20 weft-bench-spring/target/spring-compare.log
  echo "starter per-request overhead: the benchmark failed (above; the whole log in weft-bench-spring/target/spring-compare.log)"
fi
if command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null; then
  echo
  echo "Redis (redis-bench.sh):"
  weft-bench/redis-bench.sh | grep -E 'ratio|floor'
else
  echo "Redis targets skipped: redis-server and redis-benchmark are not installed (apt-get install -y --no-install-recommends redis-server)"
fi
echo
echo "Kafka (kafka-bench.sh):"
KAFKA_ARGS=()
[ "${1:-}" = "--quick" ] && KAFKA_ARGS=(--quick)
if KAFKA_OUT=$(weft-bench/kafka-bench.sh "${KAFKA_ARGS[@]}" 2>&1); then
  echo "$KAFKA_OUT" | grep -E 'ratio'
else
  echo "Kafka targets not measured: $(echo "$KAFKA_OUT" | grep -E '^skipped:|failed' | head -1 | sed 's/^skipped: //' || true)"
fi
