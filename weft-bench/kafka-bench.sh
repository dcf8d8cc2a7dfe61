#!/usr/bin/env bash
# Issue 15, item 5: the Kafka transport's publish and its worker's consume beside raw kafka-clients
# loops doing the same work, in one run against one KRaft broker that KafkaBench starts (weft-kafka's
# KafkaCluster: a JVM of its own on loopback, free ports, a temporary log folder) and stops.
#
#   weft-bench/kafka-bench.sh [--quick] [records] [body-bytes] [rounds]   (defaults: 200000 200 3; --quick: 20000 200 1)
#
# Prints KafkaBench's figures (raw KafkaProducer with the transport's settings, 100 sent then
# waited for; Weft's publishAll of 100; the bus's emit through its outbox; a raw KafkaConsumer
# poll + commit loop; a Weft Worker with a no-op handler), then the ratios the issue sets as
# targets with met/MISSED. Needs nothing installed: Kafka's server comes from Maven Central.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--quick" ]; then shift; N="${1:-20000}"; BODY="${2:-200}"; ROUNDS="${3:-1}"
else N="${1:-200000}"; BODY="${2:-200}"; ROUNDS="${3:-3}"; fi
# Builds weft-kafka's test classes too: the broker's class path (broker.classpath) is written there.
./dev mvn -B -q -pl weft-bench -am package -DskipTests >/dev/null
JAVA_HOME=$(./dev mvn -v 2>&1 >/dev/null | sed -n 's/^dev: using JDK at \([^ ]*\) .*/\1/p')
ERR=$(mktemp)
trap 'rm -f "$ERR"' EXIT
set +e
# kafka-clients logs through SLF4J to java.util.logging: an empty logging configuration keeps it quiet.
OUT=$("$JAVA_HOME/bin/java" -Djava.util.logging.config.file=/dev/null -cp weft-bench/target/benchmarks.jar \
  dev.weft.bench.KafkaBench - "$N" "$BODY" "$ROUNDS" 2>"$ERR")
CODE=$?
set -e
echo "$OUT"
if [ "$CODE" -eq 2 ]; then exit 2; fi # skipped: the line says why
if [ "$CODE" -ne 0 ]; then echo "kafka-bench: KafkaBench failed (exit code $CODE):" >&2; tail -20 "$ERR" >&2; exit 1; fi
RAWP=$(echo "$OUT" | awk '/^kafka_producer_send100_wait/ {print $2}')
WEFT=$(echo "$OUT" | awk '/^weft_publishAll_100/ {print $2}')
BUS=$(echo "$OUT" | awk '/^weft_bus_emit_to_topic/ {print $2}')
RAWC=$(echo "$OUT" | awk '/^kafka_consumer_poll_commit / {print $2}')
WRK=$(echo "$OUT" | awk '/^weft_worker_consume / {print $2}')
awk -v w="$WEFT" -v r="$RAWP" -v b="$BUS" -v c="$RAWC" -v k="$WRK" 'function verdict(x, t) { return x >= t ? "met" : "MISSED" } BEGIN {
  printf "kafka_publishAll_vs_kafka_producer %.2f ratio (target >= 0.90) %s\n", w/r, verdict(w/r, 0.90)
  printf "kafka_bus_emit_vs_kafka_producer %.2f ratio (target >= 0.90) %s\n", b/r, verdict(b/r, 0.90)
  printf "kafka_worker_consume_vs_kafka_consumer %.2f ratio (target >= 0.80) %s\n", k/c, verdict(k/c, 0.80) }'
