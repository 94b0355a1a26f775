#!/usr/bin/env bash
# Cluster benchmark (issue 14): what a node costs alone and in a cluster whose limits live in Redis, loopback
# only. Every node is `serve` from the fat jar on an address of its own (127.0.0.11, .12, .13; one port),
# spool.durability fsync, a smarthost route "*" to Postfix smtp-sink -c; with Redis, cluster.redis points at a
# redis-server started here (no persistence) and the exchanger's cap (pool.max-per-host 20) and the
# destination rate (mailer.destination-rate RATE, default 100000/s: checked for every transaction, never
# binding) are the cluster's. Three set-ups, nodes started afresh for each, a warm-up run, then RUNS (3):
#   solo     1 node, no Redis (limits in the node)
#   redis-1  1 node, limits in Redis
#   redis-3  3 nodes, limits in Redis
# A run: MESSAGES (6000) per node of SIZE (10240) octets, one smtp-source -d per node with SESSIONS (10)
# sessions, all started together, after a warm-up of 4,000 per node (WARMUP_SCALE scales it); measured from
# their start until the sink has counted every message:
#   delivered msg/s          the messages / that time
#   cpu-s/1k                 CPU seconds of all the nodes' JVMs per 1,000 messages (schedstat)
#   msg/s per cpu-s          1000 / cpu-s/1k: what one core of node buys, the number to size a cluster with
#   redis calls/msg          the nodes' peregrine_cluster_redis_calls_total over the run / the messages
#   redis cpu-ms/1k          redis-server's CPU per 1,000 messages
# On this 2-core machine the three nodes, smtp-source, the sink and Redis share two cores: compare CPU per
# message, not msg/s. After the runs, redis-cli --latency for 3 s against the loaded Redis gives the round
# trip a Redis call adds (loopback; a managed Redis in the same zone adds ~0.3-1 ms per call instead).
#
# Prerequisites: mvn -B -q -DskipTests package (the -all jar), redis-server, smtp-source/smtp-sink, python3.
# Usage: benchmarks/cluster-bench.sh    Knobs: RUNS, MESSAGES, SIZE, SESSIONS, RATE, SETUPS="solo redis-1 redis-3",
# RUN_TIMEOUT (300 s per run), PG_JAVA_OPTS; CSV=FILE appends a row per run (scenario "cluster").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$(dirname "$0")/lib.sh"
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
MESSAGES=$(scaled "${MESSAGES:-6000}" 30)
SIZE=${SIZE:-10240}
SESSIONS=${SESSIONS:-10}
RATE=${RATE:-100000}
[ "$(stat -f -c %T "$work")" = tmpfs ] && echo "# warning: $work is on tmpfs: fsync costs nothing there" >&2

node_pids=()
redis_pid=
stop_nodes() { [ "${#node_pids[@]}" = 0 ] || term_wait "${node_pids[@]}"; node_pids=(); }
trap 'stop_nodes; cleanup' EXIT

start_sink -c
src_jar=${PEREGRINE_JAR:-$root/target/peregrine-0.1.0-SNAPSHOT-all.jar}
[ -f "$src_jar" ] || mvn -B -q -o -DskipTests package -f "$root/pom.xml"
cp "$src_jar" "$work/peregrine.jar"
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no > "$work/redis.log" 2>&1 &
redis_pid=$!; pids+=("$redis_pid")
wait_port "$redis_port"
smtp_port=$(free_port)

# start_nodes N REDIS(0|1) TAG: N nodes on 127.0.0.11.., fresh spools; sets node_pids and http_ports.
http_ports=()
start_nodes() {
  local n=$1 shared=$2 tag=$3 i cfg
  http_ports=()
  for i in $(seq 1 "$n"); do
    local d=$work/$tag/n$i http; http=$(free_port); mkdir -p "$d"
    cfg=$d/peregrine.yaml
    cat > "$cfg" << EOF
http: {host: 127.0.0.1$i, port: $http}
server: {host: 127.0.0.1$i, port: $smtp_port, hostname: n$i.bench, max-connections-per-ip: 1000, shutdown-grace-period: 2s}
relay: {local-domains: [n$i.bench], client-networks: [127.0.0.0/8]}
maildir: {dir: $d/maildir}
spool: {dir: $d/queue, durability: fsync}
mailer:
  client: {helo-name: n$i.bench, tls-policy: disabled}
  dns: {routes: {"*": "[127.0.0.1]:$sink_port"}}
  pool: {max-per-key: 20, max-per-host: 20}
  destination-concurrency: 20
  destination-rate: $RATE
EOF
    if [ "$shared" = 1 ]; then
      printf 'cluster:\n  redis: {endpoints: ["redis://127.0.0.1:%s"], key-prefix: "%s:"}\n  expected-nodes: %s\n  node-id: n%s\n' \
        "$redis_port" "$tag" "$n" "$i" >> "$cfg"
    fi
    java -Xms256m -Xmx1g ${PG_JAVA_OPTS:-} -jar "$work/peregrine.jar" serve --config "$cfg" > "$d/serve.log" 2>&1 &
    node_pids+=($!); pids+=($!); http_ports+=("$http")
  done
  for i in $(seq 1 "$n"); do await_serve "${node_pids[$((i - 1))]}" "$work/$tag/n$i/serve.log"; done
}

# Sum of a counter over the nodes' /metrics.
redis_calls() {
  local i t=0 v
  for i in $(seq 1 "${#http_ports[@]}"); do
    v=$(python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' \
      "http://127.0.0.1$i:${http_ports[$((i - 1))]}/metrics" | awk '/^peregrine_cluster_redis_calls_total/ {print $2}')
    t=$(awk -v a="$t" -v b="${v:-0}" 'BEGIN {printf "%.0f", a + b}')
  done
  echo "$t"
}
nodes_cpu() { local t=0 p; for p in "${node_pids[@]}"; do t=$(( t + $(python3 "$PROCS" cpu "$p" jvm) )); done; echo "$t"; }

# run N M: M messages over N nodes; prints "delivered-msg/s cpu-s/1k redis-calls/msg redis-cpu-ms/1k".
run() (
  local n=$1 m=$2 per i c0 c1 r0 r1 q0 q1 t0 t2 srcs=()
  per=$(( m / n ))
  python3 "$PROCS" wait "$work/sink.out" "$(( per * n ))" "$RUN_TIMEOUT" > "$work/wait.out" &
  local wait_pid=$!
  trap 'kill $wait_pid 2>/dev/null || true' EXIT
  [ -n "$(wait_line "$work/wait.out" ready)" ] || { echo "sink poller did not start" >&2; exit 1; }
  c0=$(nodes_cpu); r0=$(redis_calls); q0=$(python3 "$PROCS" cpu "$redis_pid" jvm); t0=$(date +%s.%N)
  for i in $(seq 1 "$n"); do
    timeout "$RUN_TIMEOUT" /usr/sbin/smtp-source -d -s "$SESSIONS" -m "$per" -l "$SIZE" -f from@sender.bench \
      -t to@dest.bench 127.0.0.1$i:"$smtp_port" > /dev/null &
    srcs+=($!)
  done
  for p in "${srcs[@]}"; do wait "$p" || { echo "smtp-source failed" >&2; exit 1; }; done
  wait "$wait_pid" || { echo "not all delivered: $(cat "$work/wait.out")" >&2; exit 1; }
  c1=$(nodes_cpu); r1=$(redis_calls); q1=$(python3 "$PROCS" cpu "$redis_pid" jvm); t2=$(awk '/^done/ {print $2}' "$work/wait.out")
  awk -v m="$(( per * n ))" -v a="$t0" -v c="$t2" -v cpu="$((c1 - c0))" -v r="$((r1 - r0))" -v q="$((q1 - q0))" \
    'BEGIN {printf "%.0f %.3f %.2f %.2f\n", m / (c - a), cpu / 1e9 / m * 1000, r / m, q / 1e6 / m * 1000}'
)

rows=()
for setup in ${SETUPS:-solo redis-1 redis-3}; do
  case $setup in solo) n=1 shared=0 ;; redis-1) n=1 shared=1 ;; redis-3) n=3 shared=1 ;; *) echo "unknown setup $setup" >&2; exit 1 ;; esac
  start_nodes "$n" "$shared" "$setup"
  # Warm-up: 4,000 messages per node (the JIT of every node; 1,000 per node left the three nodes' CPU per
  # message at twice what it settles to).
  run "$n" "$(( n * $(MSG_SCALE=${WARMUP_SCALE:-1} scaled 4000 30) ))" > /dev/null
  : > "$work/rate"; : > "$work/cpu"; : > "$work/calls"; : > "$work/rcpu"
  for r in $(seq 1 "$RUNS"); do
    read -r rate cpu calls rcpu <<< "$(run "$n" "$(( n * MESSAGES ))")"
    echo "$rate" >> "$work/rate"; echo "$cpu" >> "$work/cpu"; echo "$calls" >> "$work/calls"; echo "$rcpu" >> "$work/rcpu"
    csv_row cluster "peregrine-$setup" "$SIZE" "$(( SESSIONS * n ))" reuse fsync loopback "$r" "$rate" "$cpu" "" "" \
      "nodes=$n redis_calls_per_msg=$calls redis_cpu_ms_per_1k=$rcpu msgs=$(( n * MESSAGES ))"
    [ -n "${VERBOSE:-}" ] && echo "#   $setup run $r: $rate msg/s, cpu/1k $cpu, redis calls/msg $calls, redis cpu-ms/1k $rcpu" >&2
  done
  if [ "$setup" = redis-3 ] && command -v redis-cli > /dev/null; then
    # The round trip of one Redis call while the three nodes deliver (a run in the background).
    run "$n" "$(( n * MESSAGES ))" > /dev/null &
    loaded=$!
    lat=$(timeout 4 redis-cli -p "$redis_port" --latency -i 3 --raw 2>/dev/null | tail -1 || true)
    wait "$loaded" || true
  fi
  c=$(median < "$work/cpu")
  rows+=("| $setup | $n | $(median < "$work/rate") | $c | $(awk -v c="$c" 'BEGIN {printf "%.0f", 1000 / c}') | $(median < "$work/calls") | $(median < "$work/rcpu") |")
  stop_nodes
done

echo "Cluster: smtp-source -d ($SESSIONS sessions per node) -> nodes (fsync) -> smtp-sink, $((SIZE / 1024)) KiB, $MESSAGES messages per node and run, median of $RUNS"
echo
echo "| set-up | nodes | delivered msg/s | cpu-s/1k (all nodes) | msg/s per cpu-s | redis calls/msg | redis cpu-ms/1k |"
echo "|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
[ -n "${lat:-}" ] && echo && echo "Redis round trip under the 3-node load (redis-cli --latency: min, max, avg ms, samples): $lat"
true
