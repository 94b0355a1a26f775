#!/usr/bin/env bash
# End-to-end client benchmark against Postfix smtp-sink (loopback, same run): Peregrine's client vs the
# Vert.x mail client (same pool size) vs Postfix smtp-source -d, all reusing sessions, median of 3 runs.
# Peregrine keeps up to 8 transactions in flight per session (pipelining); the Vert.x client one per pooled
# connection; smtp-source sends in lockstep.
#
# Prerequisites:  mvn -B -q install -DskipTests && mvn -B -q -f benchmarks/pom.xml package
# Usage:          benchmarks/client-bench.sh            (BENCH_JAR=path/to/benchmarks.jar to override)
set -euo pipefail
JAR=${BENCH_JAR:-$(dirname "$0")/target/benchmarks.jar}
RUNS=${RUNS:-3}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
sink_user=(); [ "$(id -u)" = 0 ] && sink_user=(-u nobody)
/usr/sbin/smtp-sink "${sink_user[@]}" 127.0.0.1:"$port" 1000 > /dev/null 2>&1 &
pids+=($!)
for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.05; done
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
source_rate() { local t0 t1; t0=$(date +%s.%N); /usr/sbin/smtp-source -d -s "$1" -m "$2" -l "$3" 127.0.0.1:"$port" > /dev/null
  t1=$(date +%s.%N); awk -v m="$2" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f\n", m / (b - a)}'; }
java_rate() { java -cp "$JAR" dev.peregrine.bench.ClientLoad "$1" 127.0.0.1 "$port" "$2" "$3" "$4" | awk '/^msgs\/s/ {print $2}'; }
printf "%-6s %-8s %12s %12s %12s %10s %10s\n" size sessions smtp-source vertx-mail peregrine vs-source vs-vertx
for size in ${SIZES:-1024 102400}; do
  for sessions in 1 10 50; do
    if [ "$size" = 1024 ]; then msgs=$(( sessions == 1 ? 4000 : 20000 )); else msgs=$(( sessions == 1 ? 1000 : 3000 )); fi
    for who in source vertx-mail peregrine; do
      : > "$work/$who"
      for _ in $(seq 1 "$RUNS"); do
        if [ "$who" = source ]; then source_rate "$sessions" "$msgs" "$size" >> "$work/$who"
        else java_rate "$who" "$sessions" "$msgs" "$size" >> "$work/$who"; fi
      done
    done
    s=$(median < "$work/source"); v=$(median < "$work/vertx-mail"); p=$(median < "$work/peregrine")
    printf "%-6s %-8s %12s %12s %12s %10.2f %10.2f\n" "$size" "$sessions" "$s" "$v" "$p" \
      "$(awk -v a="$p" -v b="$s" 'BEGIN {print a / b}')" "$(awk -v a="$p" -v b="$v" 'BEGIN {print a / b}')"
  done
done
