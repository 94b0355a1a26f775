#!/usr/bin/env bash
# End-to-end server benchmark: Postfix smtp-source -> each server under test, same smtp-source arguments, same
# run, loopback only: Peregrine (DiscardServer: every message read and discarded), Postfix smtp-sink, Python
# aiosmtpd (its Sink handler: read and dropped) and a private Postfix smtpd with the discard transport
# (Postfix's own durability: cleanup fsyncs each queue file before the 250).
# SERVERS="smtp-sink peregrine aiosmtpd postfix" (the default) picks them; the ratios are Peregrine's.
#
# Prerequisites:  mvn -B -q install -DskipTests && mvn -B -q -f benchmarks/pom.xml package
# Usage:          benchmarks/server-bench.sh            (BENCH_JAR=path/to/benchmarks.jar to override)
# Prints one line per cell: size, sessions, mode, then per server the median msgs/s of RUNS runs (default 3)
# and CPU seconds per 1,000 messages of the server (all threads of its process, from schedstat: exact run time,
# not 10 ms ticks; Postfix: every process of the instance plus the children it reaped), then Peregrine's ratio
# to each. The runs of the servers alternate (sink, Peregrine, aiosmtpd, Postfix, sink, ...), so that load
# from elsewhere on the machine falls on all. aiosmtpd and Postfix get a quarter of the messages (SLOW_DIV).
# Sizes other than 1024 and 102400 get 400 MiB / size messages (20 to 20,000); MSG_SCALE scales every count.
# CSV=FILE appends one row per run (lib.sh), scenario SCENARIO (default server). LATENCY=1 adds, per server,
# AcceptLatency (Peregrine's client, open loop, LAT_RATE (500) msg/s of 1 KiB over 10 reused sessions for
# LAT_SECONDS (5) after 2 s of warm-up): p50/p99 from due time to the 250.
# Filters (space-separated lists, default all): SIZES="1024 102400", SESSIONS="1 10 50", MODES="reuse new";
# e.g. MODES=new SIZES=1024 benchmarks/server-bench.sh runs only the 1 KiB new-connection cells.
# PG_JAVA_OPTS adds JVM options to Peregrine's JVM (e.g. a JFR recording).
# PIN_SINK=N runs smtp-sink and Peregrine's whole JVM on CPU N only, PIN_CLIENT=M every
# smtp-source on CPU M only; unset (the default), the scheduler places them.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
SERVERS=${SERVERS:-smtp-sink peregrine aiosmtpd postfix}
SCENARIO=${SCENARIO:-server}
SLOW_DIV=${SLOW_DIV:-4}
has() { case " $SERVERS " in *" $1 "*) return 0;; esac; return 1; }

start_sink
sink_pid_=$sink_pid
pg_port=$(free_port)
mkfifo "$work/in"
${PIN_SINK:+taskset -c "$PIN_SINK"} java -Xms256m -Xmx1g ${PG_JAVA_OPTS:-} -cp "$JAR" dev.peregrine.bench.DiscardServer "$pg_port" ${INSTANCES:-} < "$work/in" > "$work/pg.out" 2>&1 &
pg_pid=$!; pids+=("$pg_pid")
exec 7> "$work/in"
wait_port "$pg_port"
if has aiosmtpd; then start_aiosmtpd; fi
if has postfix; then start_postfix_discard; fi
source_cmd=(${PIN_CLIENT:+taskset -c "$PIN_CLIENT"} /usr/sbin/smtp-source)

port_of() { case $1 in smtp-sink) echo "$sink_port";; peregrine) echo "$pg_port";; aiosmtpd) echo "$aio_port";; postfix) echo "$pfd_port";; esac; }
cpu_of() { case $1 in smtp-sink) cpu_ns "$sink_pid_";; peregrine) cpu_ns "$pg_pid";; aiosmtpd) cpu_ns "$aio_pid";; postfix) pfd_cpu_ns;; esac; }
durability_of() { [ "$1" = postfix ] && echo fsync || echo none; }

# Warm the JIT, then measure. Reused sessions, then new connections: accept, greeting, QUIT and close run
# their own code paths, and without this the new-connection cells measured the JIT compiling them (C2 time
# counts as the server's CPU). Then rounds of 1- and 10-session new connections until a round leaves the
# JIT compiler threads under 20 ms of CPU (at most 10 rounds). The other servers get a new-connection
# warm-up of their own (process pools, caches). Every run is bounded (-m).
"${source_cmd[@]}" -s 10 -m "$(scaled 20000 100)" -l 1024 -d 127.0.0.1:"$pg_port" > /dev/null
"${source_cmd[@]}" -s 10 -m "$(scaled 10000 100)" -l 1024 127.0.0.1:"$pg_port" > /dev/null
for target in $SERVERS; do
  [ "$target" = peregrine ] && continue
  n=10000; [ "$target" = smtp-sink ] || n=$(( 10000 / SLOW_DIV ))
  "${source_cmd[@]}" -s 10 -m "$(scaled "$n" 50)" -l 1024 127.0.0.1:"$(port_of "$target")" > /dev/null
done
for round in $(seq 1 10); do
  j0=$(jit_ns "$pg_pid")
  "${source_cmd[@]}" -s 1 -m "$(scaled 2000 50)" -l 1024 127.0.0.1:"$pg_port" > /dev/null
  "${source_cmd[@]}" -s 10 -m "$(scaled 5000 100)" -l 1024 127.0.0.1:"$pg_port" > /dev/null
  j1=$(jit_ns "$pg_pid")
  [ $((j1 - j0)) -lt 20000000 ] && break
done
echo "# warm-up: $round settling round(s), JIT $(( (j1 - j0) / 1000000 )) ms in the last" >&2

run() { # target args... -> "t0 t1 cpu_ns"
  local target=$1; shift
  local c0; c0=$(cpu_of "$target")
  local t0; t0=$(date +%s.%N)
  timeout "${RUN_TIMEOUT:-300}" "${source_cmd[@]}" "$@" 127.0.0.1:"$(port_of "$target")" > /dev/null
  local t1; t1=$(date +%s.%N)
  local c1; c1=$(cpu_of "$target")
  echo "$t0 $t1 $((c1 - c0))"
}

# Messages per run: the classic cells as before; other sizes by volume (400 MiB / size, 20 to 20,000).
messages() { # size sessions mode target
  local size=$1 sessions=$2 m
  if [ "$size" = 1024 ]; then m=$(( sessions == 1 ? 4000 : 20000 ))
  elif [ "$size" = 102400 ]; then m=$(( sessions == 1 ? 1000 : 4000 ))
  else m=$(( 419430400 / size )); m=$(( m < 20 ? 20 : m > 20000 ? 20000 : m )); [ "$sessions" = 1 ] && m=$(( m / 4 < 10 ? 10 : m / 4 )); fi
  [ "$3" = new ] && m=$(( m / 2 ))
  [ "$4" = smtp-sink ] || [ "$4" = peregrine ] || m=$(( m / SLOW_DIV ))
  scaled "$m" "$(( sessions * 2 ))"
}

others=(); for t in $SERVERS; do [ "$t" = peregrine ] || others+=("$t"); done
{ printf "%-8s %-8s %-6s" size sessions mode
  for t in $SERVERS; do printf " %19s" "$t"; done
  for t in "${others[@]}"; do printf " %10s" "vs-$t"; done; echo
  printf "%-24s" ""; for t in $SERVERS; do printf " %19s" "msg/s  cpu/1k"; done; echo; }
for size in ${SIZES:-1024 102400}; do
  for sessions in ${SESSIONS:-1 10 50}; do
    for mode in ${MODES:-reuse new}; do
      for target in $SERVERS; do : > "$work/$target.rates"; : > "$work/$target.cpu"; done
      for r in $(seq 1 "$RUNS"); do
        for target in $SERVERS; do
          msgs=$(messages "$size" "$sessions" "$mode" "$target")
          flags=(-s "$sessions" -m "$msgs" -l "$size" -f a@example.org -t b@example.com)
          [ "$mode" = reuse ] && flags+=(-d)
          read -r t0 t1 ns <<< "$(run "$target" "${flags[@]}")"
          rate=$(awk -v m="$msgs" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f", m / (b - a)}')
          cpu=$(awk -v t="$ns" -v m="$msgs" 'BEGIN {printf "%.3f", t / 1e9 / m * 1000}')
          echo "$rate" >> "$work/$target.rates"; echo "$cpu" >> "$work/$target.cpu"
          csv_row "$SCENARIO" "$target" "$size" "$sessions" "$mode" "$(durability_of "$target")" loopback "$r" "$rate" "$cpu" "" "" "msgs=$msgs"
        done
      done
      printf "%-8s %-8s %-6s" "$size" "$sessions" "$mode"
      for t in $SERVERS; do printf " %11s %7s" "$(median < "$work/$t.rates")" "$(median < "$work/$t.cpu")"; done
      p=$(median < "$work/peregrine.rates")
      for t in "${others[@]}"; do printf " %10s" "$(ratio "$p" "$(median < "$work/$t.rates")")"; done; echo
      if [ -n "${VERBOSE:-}" ]; then
        for t in $SERVERS; do echo "#   runs $t msgs/s: $(paste -sd' ' "$work/$t.rates")  cpu/1k: $(paste -sd' ' "$work/$t.cpu")"; done
      fi
    done
  done
done

if [ "${LATENCY:-0}" = 1 ]; then
  echo
  echo "Acceptance latency: ${LAT_RATE:-500} msg/s offered (open loop) over 10 sessions, 1 KiB, ${LAT_SECONDS:-5} s; ms from due time to 250"
  printf "%-10s %10s %8s %8s %8s %8s\n" server achieved p50 p90 p99 failures
  for target in $SERVERS; do
    line=$(timeout "${RUN_TIMEOUT:-300}" java -cp "$JAR" dev.peregrine.bench.AcceptLatency 127.0.0.1 "$(port_of "$target")" 10 \
      "${LAT_RATE:-500}" "${LAT_SECONDS:-5}" 1024 2 2>> "$work/latency.err" | tail -1)
    read -r _ _ _ ach _ p50 _ p90 _ p99 _ _ _ _ _ fails <<< "$line"
    printf "%-10s %10s %8s %8s %8s %8s\n" "$target" "$ach" "$p50" "$p90" "$p99" "$fails"
    csv_row server-latency "$target" 1024 10 reuse "$(durability_of "$target")" loopback 1 "$ach" "" "$p50" "$p99" "offered=${LAT_RATE:-500}/s failures=$fails"
  done
fi
