#!/usr/bin/env bash
# Relay benchmark (issue 11): Postfix smtp-source -> relay -> Postfix smtp-sink, loopback only, the relay
# storing every message durably before its 250. Peregrine's `serve` (spool.durability: fsync, a smarthost
# route "*" to the sink) against a private Postfix instance (its own config, queue and data directories in
# the scratch directory, relayhost = the same sink, its default durability: cleanup fsyncs each queue file),
# same smtp-source arguments, same sink, same run; the runs of the two relays alternate.
# Per cell (message size x smtp-source sessions), median of RUNS (3) runs of MESSAGES messages (default
# 2000 at 10 KiB, 1000 at 100 KiB):
#   accepted msg/s   MESSAGES / smtp-source's wall time (its last 250 received)
#   delivered msg/s  MESSAGES / time from smtp-source's start until the sink has counted them all
#                    (smtp-sink -c counters, polled every 5 ms by one small python3 process); it can
#                    exceed "accepted": the last message may reach the sink before smtp-source has sent
#                    QUIT and exited
#   cpu-s/1k         CPU seconds per 1,000 messages of the relay over that whole window: the JVM's threads
#                    (schedstat, exact ns); for Postfix every live process of the master's session
#                    (schedstat) plus the children the master reaped (its cutime+cstime, 10 ms ticks): the
#                    daemons exit after max_use requests, so cleanup and smtpd come and go during a run.
#                    Cross-checked once with perf task-clock: the JVM agreed within 1-3 %, Postfix read
#                    about 10 % lower under perf (a synthetic fork-and-reap test agreed within 2 %)
#   fsync/msg        fsync + fdatasync calls per message, counted by `perf stat` on the syscall tracepoints
#                    (Peregrine: the JVM; Postfix: the master and its children, forks inherited) in one
#                    separate, unmeasured run per relay and cell of min(MESSAGES, 500); FSYNCS=0 skips it
# Before measuring, each relay gets a bounded warm-up (10 sessions: 2,000 x 10 KiB, then 300 x 100 KiB).
# smtp-source runs with -d (its sessions send message after message) unless MODE=new (one connection per
# message); the relays' spools live in the scratch directory ($TMPDIR or /tmp; must not be tmpfs).
#
# Prerequisites:  mvn -B -q -DskipTests package (the script builds the -all jar only if it is missing, then
#                 copies it); root (Postfix drops to postfix/postdrop), smtp-source/smtp-sink, python3, perf.
# Usage:          benchmarks/relay-bench.sh       (PEREGRINE_JAR=path/to/peregrine-*-all.jar to override)
# Acceptance latency (LATENCY=1, the default): AcceptLatency (benchmarks.jar) offers LAT_RATE (1000) msg/s of
# 10 KiB for LAT_SECONDS (10, after 3 s of warm-up) over 50 reused sessions to each relay, open loop, and
# prints percentiles of due-time -> 250 after the final dot (an upper bound on end of data -> 250).
# Knobs: RUNS (3), SIZES="10240 102400", SESSIONS="1 50", MESSAGES (all sizes), MODE=reuse|new, FSYNCS=1|0,
# RUN_TIMEOUT (300 s per run), PG_JAVA_OPTS (Peregrine's JVM), VERBOSE=1 (every run's numbers on stderr).
# e.g. RUNS=1 MESSAGES=200 SIZES=10240 SESSIONS=1 benchmarks/relay-bench.sh
# CSV=FILE appends a row per run (lib.sh; scenario "relay", msgs/s accepted, note: delivered msg/s) and per
# latency line (scenario "relay-latency"); WARMUP_SCALE (1) scales the warm-up's message counts.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$(dirname "$0")/lib.sh"
RUN_TIMEOUT=${RUN_TIMEOUT:-300}
chmod 755 "$work"   # Postfix's daemons (user postfix) must reach their queue directory
[ "$(stat -f -c %T "$work")" = tmpfs ] && echo "# warning: $work is on tmpfs: fsync costs nothing there" >&2

# Both relays are stopped before lib.sh's cleanup removes their directories. Postfix: what is left of its
# session after `postfix stop` is killed.
pf_master=
pf_stop() {
  [ -n "$pf_master" ] || return 0
  /usr/sbin/postfix -c "$work/pf/conf" stop > /dev/null 2>&1 || true
  for _ in $(seq 1 100); do kill -0 "$pf_master" 2>/dev/null || break; sleep 0.1; done
  for p in $(pf_pids); do kill -9 "$p" 2>/dev/null || true; done
}
# Peregrine: SIGTERM, at most 10 s to stop, then SIGKILL (its spool survives that by design).
pg_pid=
pg_stop() { [ -z "$pg_pid" ] || term_wait "$pg_pid"; }
trap 'pf_stop; pg_stop; cleanup' EXIT
# Processes of the private Postfix instance: the master is a session leader, its children share the session.
pf_pids() { python3 "$PROCS" pids "$pf_master"; }

start_sink -c
# Peregrine: the jar copied (others may rebuild target/ meanwhile), its relay with a smarthost route.
src_jar=${PEREGRINE_JAR:-$root/target/peregrine-0.1.0-SNAPSHOT-all.jar}
[ -f "$src_jar" ] || mvn -B -q -o -DskipTests package -f "$root/pom.xml"
cp "$src_jar" "$work/peregrine.jar"
pg_port=$(free_port)
cat > "$work/pg.yaml" << EOF
http: {port: $(free_port)}
server: {host: 127.0.0.1, port: $pg_port, hostname: relay.bench, max-connections-per-ip: 1000, shutdown-grace-period: 2s}
relay: {local-domains: [relay.bench], client-networks: [127.0.0.0/8]}
maildir: {dir: $work/pg/maildir}
spool: {dir: $work/pg/queue, durability: fsync}
mailer:
  client: {helo-name: relay.bench, tls-policy: disabled}
  dns: {routes: {"*": "[127.0.0.1]:$sink_port"}}
  pool: {max-per-key: 20, max-per-host: 20}
  destination-concurrency: 20
EOF
java -Xms256m -Xmx1g ${PG_JAVA_OPTS:-} -jar "$work/peregrine.jar" serve --config "$work/pg.yaml" > "$work/pg.log" 2>&1 &
pg_pid=$!; pids+=("$pg_pid")
await_serve "$pg_pid" "$work/pg.log"

# Postfix: a private instance (never /etc/postfix), smtpd on a free loopback port, everything to the sink.
pf_port=$(free_port); d=$work/pf
mkdir -p "$d/conf" "$d/queue" "$d/data"; chmod 755 "$d"; chown postfix "$d/data"
cat > "$d/conf/main.cf" << EOF
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
mail_owner = postfix
setgid_group = postdrop
myhostname = postfix.bench
inet_interfaces = loopback-only
inet_protocols = ipv4
mydestination =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_client_connection_count_limit = 1000
smtpd_peername_lookup = no
relayhost = [127.0.0.1]:$sink_port
default_destination_concurrency_limit = 20
smtp_destination_concurrency_limit = 20
maillog_file = $d/maillog
maillog_file_prefixes = $d
EOF
{ echo "127.0.0.1:$pf_port inet n - n - - smtpd"
  printf '%s\n' "cleanup unix n - n - 0 cleanup" "qmgr unix n - n 300 1 qmgr" "rewrite unix - - n - - trivial-rewrite" \
    "bounce unix - - n - 0 bounce" "defer unix - - n - 0 bounce" "trace unix - - n - 0 bounce" \
    "verify unix - - n - 1 verify" "flush unix n - n 1000? 0 flush" "proxymap unix - - n - - proxymap" \
    "smtp unix - - n - - smtp" "relay unix - - n - - smtp" "error unix - - n - - error" \
    "retry unix - - n - - error" "discard unix - - n - - discard" "anvil unix - - n - 1 anvil" \
    "scache unix - - n - 1 scache" "postlog unix-dgram n - n - 1 postlogd" "showq unix n - n - - showq" \
    "pickup unix n - n 60 1 pickup"; } > "$d/conf/master.cf"
/usr/sbin/postfix -c "$d/conf" start > "$work/pf.start" 2>&1 || { echo "postfix did not start" >&2; cat "$work/pf.start" "$d/maillog" >&2; exit 1; }
for _ in $(seq 1 100); do [ -s "$d/queue/pid/master.pid" ] && break; sleep 0.1; done
pf_master=$(tr -d ' \n' < "$d/queue/pid/master.pid")
wait_port "$pf_port"

fsync_ok=${FSYNCS:-1}
perf stat -e syscalls:sys_enter_fsync -- true > /dev/null 2>&1 || { fsync_ok=0; echo "# perf tracepoints unavailable: no fsync/msg" >&2; }
flags=(-f from@sender.bench -t to@dest.bench); [ "${MODE:-reuse}" = reuse ] && flags+=(-d)

# run WHO SESSIONS MESSAGES SIZE [perf]: prints "accepted-msg/s delivered-msg/s cpu-s/1k fsyncs/msg".
run() (
  local who=$1 s=$2 m=$3 size=$4 port=$pg_port pid=$pg_pid kind=jvm target= perf_pid= fs=- t0 t1 t2 c0 c1
  [ "$who" = postfix ] && { port=$pf_port; pid=$pf_master; kind=postfix; }
  python3 "$PROCS" wait "$work/sink.out" "$m" "$RUN_TIMEOUT" > "$work/wait.out" &
  local wait_pid=$!
  trap 'kill $wait_pid ${perf_pid:-} 2>/dev/null || true' EXIT   # run is a subshell: its own trap
  [ -n "$(wait_line "$work/wait.out" ready)" ] || { echo "sink poller did not start" >&2; exit 1; }
  if [ -n "${5:-}" ]; then
    if [ "$who" = postfix ]; then target=$(pf_pids | paste -sd,); else target=$pg_pid; fi
    perf stat -x, -o "$work/perf.out" -e syscalls:sys_enter_fsync,syscalls:sys_enter_fdatasync -p "$target" > /dev/null 2>&1 &
    perf_pid=$!; sleep 1   # perf prints nothing when attached: give it time
  fi
  c0=$(python3 "$PROCS" cpu "$pid" "$kind"); t0=$(date +%s.%N)
  timeout "$RUN_TIMEOUT" /usr/sbin/smtp-source "${flags[@]}" -s "$s" -m "$m" -l "$size" 127.0.0.1:"$port" > /dev/null \
    || { echo "smtp-source failed against $who" >&2; exit 1; }
  t1=$(date +%s.%N)
  wait "$wait_pid" || { echo "$who: not all delivered: $(cat "$work/wait.out")" >&2; exit 1; }
  c1=$(python3 "$PROCS" cpu "$pid" "$kind"); t2=$(awk '/^done/ {print $2}' "$work/wait.out")
  if [ -n "$perf_pid" ]; then
    kill -INT "$perf_pid" 2>/dev/null || true; wait "$perf_pid" || true
    fs=$(awk -F, -v m="$m" '/sys_enter_f/ {n += $1; k++} END {if (k == 2) printf "%.2f", n / m; else print "-"}' "$work/perf.out")
  fi
  awk -v m="$m" -v a="$t0" -v b="$t1" -v c="$t2" -v n="$((c1 - c0))" -v f="$fs" \
    'BEGIN {printf "%.0f %.0f %.3f %s\n", m / (b - a), m / (c - a), n / 1e9 / m * 1000, f}'
)

# Warm-up, bounded: the JIT for Peregrine, process pools and caches for Postfix.
for who in peregrine postfix; do
  run "$who" 10 "$(MSG_SCALE=${WARMUP_SCALE:-1} scaled 2000 20)" 10240 > /dev/null
  run "$who" 10 "$(MSG_SCALE=${WARMUP_SCALE:-1} scaled 300 20)" 102400 > /dev/null
done
echo "# warm-up done; Peregrine JIT $(( $(jit_ns "$pg_pid") / 1000000 )) ms so far" >&2

rows=()
for size in ${SIZES:-10240 102400}; do
  for sessions in ${SESSIONS:-1 50}; do
    msgs=${MESSAGES:-$(( size <= 10240 ? 2000 : 1000 ))}
    for who in peregrine postfix; do : > "$work/$who.acc"; : > "$work/$who.del"; : > "$work/$who.cpu"; done
    for r in $(seq 1 "$RUNS"); do
      for who in peregrine postfix; do
        out=$(run "$who" "$sessions" "$msgs" "$size"); read -r acc del cpu _ <<< "$out"
        csv_row relay "$who" "$size" "$sessions" "${MODE:-reuse}" fsync loopback "$r" "$acc" "$cpu" "" "" "msgs=$msgs delivered_msgs_per_s=$del"
        echo "$acc" >> "$work/$who.acc"; echo "$del" >> "$work/$who.del"; echo "$cpu" >> "$work/$who.cpu"
        [ -n "${VERBOSE:-}" ] && echo "#   $size $sessions $who: accepted $acc delivered $del cpu/1k $cpu" >&2
      done
    done
    fpg=-; fpf=-
    if [ "$fsync_ok" = 1 ]; then
      fm=$(( msgs < 500 ? msgs : 500 ))
      out=$(run peregrine "$sessions" "$fm" "$size" perf); read -r _ _ _ fpg <<< "$out"
      out=$(run postfix "$sessions" "$fm" "$size" perf); read -r _ _ _ fpf <<< "$out"
    fi
    ag=$(median < "$work/peregrine.acc"); af=$(median < "$work/postfix.acc")
    dg=$(median < "$work/peregrine.del"); df=$(median < "$work/postfix.del")
    cg=$(median < "$work/peregrine.cpu"); cf=$(median < "$work/postfix.cpu")
    row="| $((size / 1024)) KiB | $sessions | $ag | $af | $(ratio "$ag" "$af") | $dg | $df | $(ratio "$dg" "$df") | $cg | $cf | $(ratio "$cg" "$cf") | $fpg | $fpf |"
    rows+=("$row"); echo "$row" >&2
  done
done

echo
mode_txt="-d, sessions reused"; [ "${MODE:-reuse}" = reuse ] || mode_txt="a connection per message"
echo "Relay: smtp-source ($mode_txt) -> relay (fsync) -> smtp-sink, median of $RUNS runs; pg = Peregrine, pf = Postfix $(postconf -d -h mail_version 2>/dev/null), x = pg/pf"
echo
echo "| size | sessions | accepted msg/s pg | pf | x | delivered msg/s pg | pf | x | cpu-s/1k pg | pf | x | fsync/msg pg | pf |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"

if [ "${LATENCY:-1}" = 1 ]; then
  [ -f "$JAR" ] || { echo "# no $JAR: build the benchmarks for the latency table" >&2; exit 0; }
  echo
  echo "Acceptance latency: ${LAT_RATE:-1000} msg/s offered (open loop) over 50 sessions, 10 KiB, ${LAT_SECONDS:-10} s; ms from due to 250"
  echo
  echo "| relay | achieved msg/s | p50 | p90 | p99 | p99.9 | max | failures |"
  echo "|---|---|---|---|---|---|---|---|"
  for who in peregrine postfix; do
    port=$pg_port; [ "$who" = postfix ] && port=$pf_port
    line=$(timeout "$RUN_TIMEOUT" java -cp "$JAR" dev.peregrine.bench.AcceptLatency 127.0.0.1 "$port" 50 \
      "${LAT_RATE:-1000}" "${LAT_SECONDS:-10}" 10240 3 | tail -1)
    echo "$line" | awk -v w="$who" '{printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", w, $4, $6, $8, $10, $12, $14, $16}'
    read -r _ _ _ ach _ p50 _ _ _ p99 _ _ _ _ _ fails <<< "$line"
    csv_row relay-latency "$who" 10240 50 reuse fsync loopback 1 "$ach" "" "$p50" "$p99" "offered=${LAT_RATE:-1000}/s failures=$fails"
  done
fi
