#!/usr/bin/env bash
# One command for every benchmark: builds what it needs, runs each scenario script of this directory with
# its peers on loopback (each script starts and stops its own: lib.sh's trap), and writes DIR/:
#   results.csv    every measured run, one row each (lib.sh's CSV columns)
#   summary.md     per scenario: median and min-max over the runs, CPU per 1,000 messages, latency
#                  percentiles where measured, Peregrine's ratio to each peer; the headline ratios; charts
#   charts/*.svg   gnuplot: throughput by sessions and by size (server), and one chart per scenario
#   commands.txt   the exact command (environment included) of every step, with its wall time and status
#   machine.txt    cores, CPU, memory, kernel, JDK, Maven, peer versions, load average before and after
#   logs/          each script's own tables (stdout) and messages (stderr)
#
# Usage:  benchmarks/run-all.sh [--smoke] [--out DIR] [--only "codec server ..."] [--no-build]
#   (full)   about 25 minutes on a 2-core machine; DIR defaults to benchmarks/results/<UTC date>
#   --smoke  a few seconds per scenario (CI: numbers and charts are checked, speed is not judged);
#            DIR defaults to benchmarks/target/smoke
#   --only   a subset of: codec server scale-sessions scale-size client latency mailer relay idle cluster
#   --no-build  use the jars as they are (target/peregrine-*-all.jar, benchmarks/target/benchmarks.jar)
# Every step runs under `timeout` (and the whole run within BUDGET seconds: 1,740 full, 600 smoke; a step
# that would start past it is skipped and reported); exit status 1 if any scenario produced no numbers or no
# chart. Needs root (Postfix), smtp-source/smtp-sink, python3-aiosmtpd, dnsmasq, perf, gnuplot (.ci/run
# installs them all).
set -euo pipefail
bench=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$bench/.." && pwd)
smoke=0 build=1 out= only="codec server scale-sessions scale-size client latency mailer relay idle cluster"
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) smoke=1 ;;
    --no-build) build=0 ;;
    --out) out=$2; shift ;;
    --only) only=$2; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "$out" ]; then
  if [ "$smoke" = 1 ]; then out=$bench/target/smoke; else out=$bench/results/$(date -u +%Y-%m-%d); fi
fi
mkdir -p "$out"; out=$(cd "$out" && pwd)
rm -rf "$out/logs" "$out/charts"; mkdir -p "$out/logs" "$out/charts"
rm -f "$out/results.csv" "$out/commands.txt" "$out/summary.md" "$out/machine.txt" "$out/steps.tsv"
echo scenario,impl,size,sessions,mode,durability,net,run,msgs_per_s,cpu_s_per_1000,p50_ms,p99_ms,note > "$out/results.csv"
BUDGET=${BUDGET:-$([ "$smoke" = 1 ] && echo 600 || echo 1740)}
t_start=$(date +%s)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# Anything this script starts directly (the build) is in this process group; the scenario scripts stop
# their own servers. On Ctrl-C or TERM, the running step's timeout passes the signal on to its group.
trap 'echo "run-all: interrupted" >&2; exit 130' INT TERM

{ echo "# run-all.sh $([ "$smoke" = 1 ] && echo --smoke) (cwd $root), started $(date -u '+%Y-%m-%d %H:%M:%S') UTC"
  echo "# each step: its environment and command, then its wall time and status"; } > "$out/commands.txt"

# step NAME TIMEOUT_S [VAR=value...] -- COMMAND...: runs one scenario, logged, timed, bounded.
step() {
  local name=$1 limit=$2; shift 2
  local envs=() t0 t1 rc status left
  while [ "$1" != -- ]; do envs+=("$1"); shift; done; shift
  left=$(( BUDGET - ($(date +%s) - t_start) ))
  if [ "$left" -lt 30 ]; then
    echo "run-all: $name skipped: the time budget of $BUDGET s is spent" >&2
    printf '%s\t%s\t%s\n' "$name" 0 "skipped (budget)" >> "$out/steps.tsv"; return 0
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  echo "$name: ${envs[*]} $*" >> "$out/commands.txt"
  echo "run-all: $name (at most ${limit} s) ..." >&2
  t0=$(date +%s)
  rc=0
  ( cd "$bench" && env CSV="$out/results.csv" BENCH_JAR="$bench/target/benchmarks.jar" "${envs[@]}" \
      timeout --kill-after=20 "$limit" "$@" ) > "$out/logs/$name.txt" 2> "$out/logs/$name.err" < /dev/null || rc=$?
  t1=$(date +%s)
  case $rc in 0) status=ok ;; 124|137) status="timeout after $limit s" ;; *) status="failed (exit $rc)" ;; esac
  echo "#   -> $((t1 - t0)) s, $status" >> "$out/commands.txt"
  printf '%s\t%s\t%s\n' "$name" "$((t1 - t0))" "$status" >> "$out/steps.tsv"
  echo "run-all: $name: $((t1 - t0)) s, $status" >&2
  [ "$rc" = 0 ] || tail -5 "$out/logs/$name.err" >&2 || true
}
want() { case " $only " in *" $1 "*) return 0;; esac; return 1; }

# Build: the library (installed: the benchmarks build against it, and relay-bench runs its -all jar), then
# the benchmark jar. Offline when the local repository already has everything (a second run), else online.
if [ "$build" = 1 ]; then
  echo "run-all: building ..." >&2
  t0=$(date +%s)
  for flags in "-o" ""; do
    if (cd "$root" && mvn -B -ntp -q $flags -DskipTests install && mvn -B -ntp -q $flags -f benchmarks/pom.xml package) \
        > "$out/logs/build.txt" 2>&1; then built=1; break; fi
    built=0
  done
  [ "$built" = 1 ] || { echo "run-all: build failed" >&2; tail -30 "$out/logs/build.txt" >&2; exit 1; }
  echo "build: (cd $root && mvn -B -ntp -q -DskipTests install && mvn -B -ntp -q -f benchmarks/pom.xml package)" >> "$out/commands.txt"
  echo "#   -> $(( $(date +%s) - t0 )) s, ok" >> "$out/commands.txt"
fi
[ -f "$bench/target/benchmarks.jar" ] || { echo "run-all: no benchmarks/target/benchmarks.jar (drop --no-build)" >&2; exit 1; }

# The profiles. Full: the scripts' own defaults, except where noted (to fit 30 minutes on 2 cores): message
# counts halved (MSG_SCALE=0.5; a quarter in the scaling sweeps), JVM clients warm up at least 3 s (not 5)
# and at most 15, the slow server peers (aiosmtpd, Postfix with fsync) get an eighth of the messages, the
# client cells are 1 and 10 sessions (50 behaves as 10 there), the mailer 0.3 of its messages, the relay 500
# messages per run. Smoke: one run of a few hundred messages
# per cell, a few cells per scenario.
if [ "$smoke" = 1 ]; then
  common=(RUNS=1 MSG_SCALE=0.05 WARMUP_SECONDS=1 WARMUP_MAX_SECONDS=2)
  jmh=(-f 1 -wi 0 -i 1 -r 200ms -prof gc -p size=1024 -p command=MAIL -p input=PIPELINED)
  server=(SIZES=1024 SESSIONS="1 10" MODES="reuse new" LATENCY=1 LAT_SECONDS=1 LAT_RATE=200)
  scale_sessions=(SESSIONS="1 10 50")
  scale_size=(SIZES="1024 102400 1048576")
  client=(SIZES=1024 SESSIONS=10)
  latency=(SESSIONS=2)
  mailer=(SIZES=1024)
  relay=(RUNS=1 MESSAGES=50 SIZES=10240 SESSIONS=10 FSYNCS=0 LAT_RATE=100 LAT_SECONDS=1 WARMUP_SCALE=0.05)
  cluster=(RUNS=1 MESSAGES=3000 WARMUP_SCALE=0.1)
  idle=500; per_step=150
else
  common=(RUNS=3 MSG_SCALE=0.5 WARMUP_SECONDS=3 WARMUP_MAX_SECONDS=15)
  jmh=(-f 1 -wi 2 -w 1s -i 3 -r 1s -prof gc)
  server=(SLOW_DIV=8 LATENCY=1)
  scale_sessions=(SLOW_DIV=8 MSG_SCALE=0.25)
  scale_size=(SLOW_DIV=8 MSG_SCALE=0.25)
  # The JVM clients' warm-up capped at 5 s here: at 100 KiB the Vert.x client and Simple Java Mail send 20-50
  # msg/s and never settle the JIT, so each of their runs spent the whole 15 s (the step ran out of its 600 s).
  # Above 1 KiB those two run at 10 sessions only, and every JVM run is bounded at 180 s.
  client=(SESSIONS="1 10" WARMUP_SECONDS=2 WARMUP_MAX_SECONDS=5 SLOW_SESSIONS_100K=10 RUN_TIMEOUT=180)
  latency=(WARMUP_SECONDS=2 WARMUP_MAX_SECONDS=5 RUN_TIMEOUT=180)
  mailer=(MSG_SCALE=0.3)
  relay=(MESSAGES=500)
  cluster=(MESSAGES=8000)
  idle=10000; per_step=600
fi

if want codec; then
  # The codec's benchmarks only: DkimSignBench and MailerDkimBench (issue 15) have their own section in the
  # README and would add about two minutes.
  step codec "$per_step" -- java -jar "$bench/target/benchmarks.jar" \
    'dev\.peregrine\.bench\.(CommandParser|DotStuff|DotUnstuff|ReplyDecoder)Bench' "${jmh[@]}" -rf csv -rff "$out/logs/jmh.csv"
  if [ -s "$out/logs/jmh.csv" ]; then python3 "$bench/summarize.py" jmh "$out/logs/jmh.csv" >> "$out/results.csv"; fi
fi
want server && step server "$per_step" "${common[@]}" "${server[@]}" -- bash server-bench.sh
want scale-sessions && step scale-sessions "$per_step" "${common[@]}" SCENARIO=scale-sessions SIZES=1024 \
  SESSIONS="1 10 50 100 200" MODES=reuse "${scale_sessions[@]}" -- bash server-bench.sh
want scale-size && step scale-size "$per_step" "${common[@]}" SCENARIO=scale-size SESSIONS=10 MODES=reuse \
  SIZES="1024 10240 102400 1048576 10485760" "${scale_size[@]}" -- bash server-bench.sh
want client && step client "$per_step" "${common[@]}" "${client[@]}" -- bash client-bench.sh
want latency && step latency "$per_step" "${common[@]}" "${latency[@]}" -- bash latency-bench.sh
want mailer && step mailer "$per_step" "${common[@]}" "${mailer[@]}" -- bash mailer-bench.sh
want relay && step relay "$per_step" "${common[@]}" PEREGRINE_JAR="$(ls "$root"/target/peregrine-*-all.jar 2>/dev/null | head -1)" \
  "${relay[@]}" -- bash relay-bench.sh
want idle && step idle "$per_step" -- bash idle-connections.sh "$idle"
want cluster && step cluster "$per_step" "${common[@]}" PEREGRINE_JAR="$(ls "$root"/target/peregrine-*-all.jar 2>/dev/null | head -1)" \
  "${cluster[@]}" -- bash cluster-bench.sh

# The machine, the peers' versions, the load.
{ echo "date: $(date -u '+%Y-%m-%d %H:%M') UTC"
  echo "profile: $([ "$smoke" = 1 ] && echo smoke || echo full)"
  echo "wall time: $(( $(date +%s) - t_start )) s"
  echo "cores: $(nproc) ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'))"
  echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  echo "kernel: $(uname -sr)"
  echo "load average (1/5/15 min): $load_before before, $(cut -d' ' -f1-3 /proc/loadavg) after"
  echo "spool filesystem (relay, fsync): $(stat -f -c %T "${TMPDIR:-/tmp}")"
  echo "jdk: $(java -version 2>&1 | head -1)"
  echo "maven: $(mvn -B -version 2>/dev/null | head -1 | sed 's/\x1b\[[0-9;]*m//g')"
  echo "peregrine: $(cd "$root" && git describe --always --dirty 2>/dev/null || echo unknown)"
  echo "postfix (smtp-source, smtp-sink, smtpd): $(postconf -d -h mail_version 2>/dev/null)"
  echo "aiosmtpd: $(dpkg-query -W -f='${Version}' python3-aiosmtpd 2>/dev/null) (python $(/usr/bin/python3 -c 'import sys; print(sys.version.split()[0])'))"
  echo "dnsmasq: $(dpkg-query -W -f='${Version}' dnsmasq-base 2>/dev/null)"
  echo "vertx-mail-client: $(sed -n '/<artifactId>vertx-mail-client</{n;s/.*<version>\(.*\)<\/version>.*/\1/p}' "$bench/pom.xml")"
  echo "simple-java-mail + batch-module: $(sed -n '/<artifactId>batch-module</{n;s/.*<version>\(.*\)<\/version>.*/\1/p}' "$bench/pom.xml")"
  echo "jmh: $(sed -n 's/.*<jmh.version>\(.*\)<\/jmh.version>.*/\1/p' "$bench/pom.xml")"
  echo "gnuplot: $(gnuplot --version 2>/dev/null)"
  echo "redis-server: $(redis-server --version 2>/dev/null | awk '{print $3}')"
} > "$out/machine.txt"

# Summary, charts and the check: every scenario run has numbers and a chart.
args=(report "$out" --scenarios "$only")
[ "$smoke" = 1 ] && args+=(--smoke)
python3 "$bench/summarize.py" "${args[@]}"
echo "run-all: $(( $(date +%s) - t_start )) s in all; $out/summary.md" >&2
