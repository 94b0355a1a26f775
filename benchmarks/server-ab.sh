#!/usr/bin/env bash
# A/B of two Peregrine settings against one machine state: two DiscardServers (A with A_OPTS, B with B_OPTS as
# JVM options, each INSTANCES event loops, default 1) and Postfix smtp-sink, the runs of the three interleaved
# (A, B, sink, A, ...) so that the machine's drift falls on all of them. Single runs on a shared 2-core VM
# swing by up to 30 %; comparing two builds or settings run minutes apart mixes that drift into the result.
#
# Prerequisites:  mvn -B -q install -DskipTests && mvn -B -q -f benchmarks/pom.xml package
# Usage:  A_OPTS=-Dperegrine.event-loop-spin-micros=0 B_OPTS= MODE=reuse SESSIONS="1 10 50" benchmarks/server-ab.sh
#   MODE=reuse (smtp-source -d) or new (a connection per message); 1 KiB messages; RUNS (default 5) per cell;
#   MESSAGES per run (default 2,000 at one session, 10,000 otherwise; MSG_SCALE scales them).
# Prints per cell and server the median msg/s and CPU seconds per 1,000 messages (schedstat, all threads),
# every run's values, and B over A and B over smtp-sink.
set -euo pipefail
RUNS=${RUNS:-5}
source "$(dirname "$0")/lib.sh"
MODE=${MODE:-reuse}

start_sink
pg_start() { # name opts -> sets ${name}_port ${name}_pid
  local port; port=$(free_port)
  mkfifo "$work/$1.in"
  # shellcheck disable=SC2086
  java -Xms256m -Xmx1g ${2} -cp "$JAR" dev.peregrine.bench.DiscardServer "$port" "${INSTANCES:-1}" \
    < "$work/$1.in" > "$work/$1.out" 2>&1 &
  pids+=("$!")
  eval "$1_pid=$! $1_port=$port"
}
pg_start A "${A_OPTS:-}"; exec 7> "$work/A.in"
pg_start B "${B_OPTS:-}"; exec 8> "$work/B.in"
wait_port "$A_port"; wait_port "$B_port"
echo "# A: ${A_OPTS:-(defaults)}: $(grep -m1 transport "$work/A.out")" >&2
echo "# B: ${B_OPTS:-(defaults)}: $(grep -m1 transport "$work/B.out")" >&2

# Warm-up: reused sessions, then rounds of new connections, the same for both JVMs (and the sink).
for port in "$A_port" "$B_port"; do
  /usr/sbin/smtp-source -s 10 -m "$(scaled 20000 100)" -l 1024 -d 127.0.0.1:"$port" > /dev/null
  for _ in 1 2 3; do
    /usr/sbin/smtp-source -s 10 -m "$(scaled 10000 100)" -l 1024 127.0.0.1:"$port" > /dev/null
    /usr/sbin/smtp-source -s 1 -m "$(scaled 2000 50)" -l 1024 127.0.0.1:"$port" > /dev/null
  done
done
/usr/sbin/smtp-source -s 10 -m "$(scaled 10000 100)" -l 1024 127.0.0.1:"$sink_port" > /dev/null

flags=(); [ "$MODE" = reuse ] && flags=(-d)
printf "%-8s %-6s %-6s %8s %7s  %s\n" sessions mode server msg/s cpu/1k "runs (msg/s)"
for s in ${SESSIONS:-1 10 50}; do
  m=${MESSAGES:-$(( s == 1 ? 2000 : 10000 ))}; m=$(scaled "$m" "$(( s * 2 ))")
  for who in A B sink; do : > "$work/$who.rates"; : > "$work/$who.cpu"; done
  for _ in $(seq 1 "$RUNS"); do
    for who in A B sink; do
      case $who in A) pid=$A_pid port=$A_port;; B) pid=$B_pid port=$B_port;; sink) pid=$sink_pid port=$sink_port;; esac
      c0=$(cpu_ns "$pid"); t0=$(date +%s.%N)
      timeout "${RUN_TIMEOUT:-300}" /usr/sbin/smtp-source -s "$s" -m "$m" -l 1024 "${flags[@]}" 127.0.0.1:"$port" > /dev/null
      t1=$(date +%s.%N); c1=$(cpu_ns "$pid")
      awk -v m="$m" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f\n", m / (b - a)}' >> "$work/$who.rates"
      awk -v c="$((c1 - c0))" -v m="$m" 'BEGIN {printf "%.3f\n", c / 1e9 / m * 1000}' >> "$work/$who.cpu"
    done
  done
  for who in A B sink; do
    printf "%-8s %-6s %-6s %8s %7s  %s\n" "$s" "$MODE" "$who" "$(median < "$work/$who.rates")" \
      "$(median < "$work/$who.cpu")" "$(paste -sd' ' "$work/$who.rates")"
  done
  b=$(median < "$work/B.rates")
  echo "#   B/A $(ratio "$b" "$(median < "$work/A.rates")")  B/sink $(ratio "$b" "$(median < "$work/sink.rates")")"
done
