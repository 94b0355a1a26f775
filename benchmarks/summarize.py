#!/usr/bin/env python3
"""The reporting half of run-all.sh (standard library only, gnuplot for the charts).

  summarize.py jmh JMH_CSV                      JMH's -rf csv output -> rows of results.csv (stdout)
  summarize.py report DIR [--scenarios "..."] [--smoke]
      DIR/results.csv (+ steps.tsv, machine.txt, commands.txt) -> DIR/summary.md and DIR/charts/*.svg;
      exits 1 if a scenario that was asked for produced no numbers or no chart.
"""
import csv
import math
import os
import statistics
import subprocess
import sys
from collections import OrderedDict

OURS = "peregrine"
COLUMNS = ["scenario", "impl", "size", "sessions", "mode", "durability", "net", "run", "msgs_per_s",
           "cpu_s_per_1000", "p50_ms", "p99_ms", "note"]

# What each step of run-all.sh must leave behind: (scenario rows that must have numbers, charts).
EXPECT = {
    "codec": (["codec"], ["codec"]),
    "server": (["server", "server-latency"], ["server", "server-latency"]),
    "scale-sessions": (["scale-sessions"], ["scale-sessions"]),
    "scale-size": (["scale-size"], ["scale-size"]),
    "client": (["client"], ["client"]),
    "latency": (["client-rtt", "client-chunking"], ["client", "client-chunking"]),
    "mailer": (["mailer"], ["mailer"]),
    "relay": (["relay", "relay-latency"], ["relay", "relay-latency"]),
    "idle": (["idle"], ["idle"]),
    "cluster": (["cluster"], ["cluster"]),
}

TITLES = OrderedDict([
    ("codec", "Codec (JMH, `-prof gc`)"),
    ("server", "Server: `smtp-source` -> each server"),
    ("server-latency", "Server acceptance latency (open loop)"),
    ("scale-sessions", "Server scaling: sessions 1 -> 200 (1 KiB, reused sessions)"),
    ("scale-size", "Server scaling: message size 1 KiB -> 10 MiB (10 reused sessions)"),
    ("client", "Client: each client -> `smtp-sink` (loopback, and through the 10 ms delay proxy)"),
    ("client-chunking", "Client through the 10 ms delay proxy into Peregrine's DiscardServer (offers CHUNKING)"),
    ("mailer", "Mailer: 1,000 recipients in 50 domains, MX from dnsmasq, 5 exchangers behind 10 ms"),
    ("relay", "Relay: `smtp-source` -> relay (fsync) -> `smtp-sink`"),
    ("relay-latency", "Relay acceptance latency (open loop, fsync)"),
    ("idle", "Idle sessions (server heap)"),
    ("cluster", "Cluster: one node alone, one and three nodes with their limits in Redis (fsync)"),
])

DESCRIPTIONS = {
    "server": "Peregrine's `DiscardServer` (reads and discards; no disk) against Postfix `smtp-sink`, Python "
              "`aiosmtpd` (Sink handler) and a private Postfix `smtpd` with the discard transport (its cleanup "
              "fsyncs each queue file before the 250: durability `fsync`). `reuse` = `smtp-source -d`, `new` = "
              "a connection per message. CPU: the server's processes, seconds per 1,000 messages.",
    "server-latency": "Peregrine's client offers a fixed rate over 10 reused sessions (1 KiB); milliseconds from "
                      "each message's due time to the 250 after its dot (no coordinated omission).",
    "client": "Each client sends over reused sessions into Postfix `smtp-sink` (PIPELINING, no CHUNKING); "
              "`rtt10ms` goes through `DelayProxy` (5 ms each way). CPU: the client process's own. Simple Java "
              "Mail 8 runs with its batch module (connection pool, as many sender threads as sessions).",
    "client-chunking": "The same clients through the delay proxy into a server that offers CHUNKING: Peregrine "
                       "keeps whole transactions in flight (`BDAT ... LAST`).",
    "mailer": "Peregrine's `Mailer` resolves MX itself (at most 10 sessions per exchanger); the Vert.x mail "
              "client gets one `MailClient` per exchanger (the routing for free). `sessions` = per exchanger.",
    "relay": "Peregrine's `serve` (spool fsync, smarthost to the sink) against a private Postfix relay (its "
             "default durability), accepted msg/s; CPU of the whole relay.",
    "relay-latency": "Open loop at a fixed rate, 50 sessions, 10 KiB; ms from due time to the 250.",
    "cluster": "`serve` nodes on 127.0.0.11-13 (spool fsync, a smarthost route to `smtp-sink`), one "
               "`smtp-source -d` per node; with Redis the exchanger's cap and the destination rate (set high: "
               "checked for every transaction, never binding) are the cluster's. The nodes share two cores with "
               "everything else: msg/s per CPU-second of node, not msg/s, is the number to size with.",
    "idle": "One `DiscardServer` (`-Xmx256m`); sessions opened by one Python process and held after the greeting.",
}

IMPL_ORDER = ["peregrine", "smtp-sink", "aiosmtpd", "postfix", "smtp-source", "vertx-mail", "simple-java-mail"]


def fmt_size(v):
    if v in ("", None):
        return ""
    n = int(v)
    for unit, f in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= f and n % f == 0:
            return f"{n // f} {unit}"
    if n >= 1 << 20:
        return f"{n / (1 << 20):.1f} MiB"
    if n >= 1 << 10:
        return f"{n / 1024:.0f} KiB"
    return f"{n} B"


def num(v):
    try:
        x = float(v)
        return x if math.isfinite(x) else None
    except (TypeError, ValueError):
        return None


def fmt_num(x):
    if x is None:
        return "-"
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def spread(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "-"
    m = statistics.median(xs)
    if len(xs) == 1:
        return fmt_num(m)
    return f"{fmt_num(m)} ({fmt_num(min(xs))}-{fmt_num(max(xs))})"


def jmh(path):
    """JMH CSV -> our rows: primary ops/s per benchmark and param; gc.alloc.rate.norm in the note."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    primary, alloc = OrderedDict(), {}
    for r in rows:
        params = {k[len("Param: "):]: v for k, v in r.items() if k.startswith("Param: ") and v}
        bench = r["Benchmark"]
        name, _, secondary = bench.partition(":")
        key = (name, tuple(sorted(params.items())))
        if not secondary:
            primary[key] = r
        elif secondary.endswith("gc.alloc.rate.norm"):
            alloc[key] = r["Score"]
    w = csv.writer(sys.stdout, lineterminator="\n")
    for (name, params), r in primary.items():
        p = dict(params)
        size = p.pop("size", "")
        impl = name.rsplit(".", 2)[-2] + "." + name.rsplit(".", 1)[-1]
        if p:
            impl += "[" + ",".join(f"{v}" for _, v in sorted(p.items())) + "]"
        score = num(r["Score"])
        err = num(r.get("Score Error (99.9%)"))
        a = num(alloc.get((name, params)))
        note = f"unit={r['Unit']}"
        if err is not None:
            note += f" error99.9={err:.0f}"
        if a is not None:
            note += f" alloc_bytes_per_op={a:.0f}"
        w.writerow(["codec", impl, size, 1, "thrpt", "none", "cpu", 1, f"{score:.0f}" if score else "", "", "", "",
                    note])


class Report:
    def __init__(self, out, smoke):
        self.out = out
        self.smoke = smoke
        self.rows = []
        path = os.path.join(out, "results.csv")
        if os.path.exists(path):
            with open(path, newline="") as f:
                self.rows = [r for r in csv.DictReader(f) if r.get("scenario")]
        self.charts = {}
        self.md = []

    def of(self, scenario, net_prefix=None):
        return [r for r in self.rows if r["scenario"] == scenario
                and (net_prefix is None or r["net"].startswith(net_prefix))]

    @staticmethod
    def impls(rows):
        seen = list(OrderedDict.fromkeys(r["impl"] for r in rows))
        return sorted(seen, key=lambda i: IMPL_ORDER.index(i) if i in IMPL_ORDER else 99)

    @staticmethod
    def cells(rows, keys):
        return list(OrderedDict.fromkeys(tuple(r[k] for k in keys) for r in rows))

    # ---- charts -------------------------------------------------------------------------------------------
    def gnuplot(self, name, script):
        svg = os.path.join(self.out, "charts", name + ".svg")
        common = ("set datafile separator '\\t'\nset datafile missing '?'\nset key autotitle columnhead\n"
                  "set grid ytics lc rgb '#dddddd'\nset border 3\nset tics nomirror\n")
        terms = [f"set terminal svg size 900,440 dynamic enhanced font 'sans,11' background '#ffffff'\n"
                 f"set output '{svg}'\n"]
        if os.environ.get("CHART_PNG"):  # also a PNG, for a look at the charts without an SVG viewer
            terms.append(f"set terminal pngcairo size 900,440 font 'sans,10'\nset output '{svg[:-4]}.png'\n")
        for term in terms:
            try:
                subprocess.run(["gnuplot"], input=term + common + script, text=True, check=True, capture_output=True,
                               timeout=60)
            except (OSError, subprocess.SubprocessError) as e:
                err = getattr(e, "stderr", "") or str(e)
                print(f"summarize: chart {name} failed: {err.strip()[:500]}", file=sys.stderr)
                return
        if os.path.exists(svg) and os.path.getsize(svg) > 0:
            self.charts[name] = f"charts/{name}.svg"

    def write_dat(self, name, header, lines):
        path = os.path.join(self.out, "charts", name + ".dat")
        with open(path, "w") as f:
            f.write("\t".join(header) + "\n")
            for line in lines:
                f.write("\t".join("?" if v is None else (f"{v:g}" if isinstance(v, float) else str(v))
                                  for v in line) + "\n")
        return path

    def bars(self, name, title, labels, series, ylabel, log=True):
        """Clustered bars: labels along x, one bar per series (name -> list of values)."""
        names = list(series)
        lines = [[lab] + [series[n][i] if series[n][i] else None for n in names] for i, lab in enumerate(labels)]
        dat = self.write_dat(name, ["cell"] + names, lines)
        plots = ", ".join(f"'{dat}' using {i + 2}:xtic(1) title '{n}'" for i, n in enumerate(names))
        self.gnuplot(name, f"set title \"{title}\"\nset style data histograms\n"
                           "set style histogram clustered gap 1\nset style fill solid 0.85 border -1\n"
                           f"set boxwidth 0.9\nset xrange [-0.6:{len(labels) - 0.4}]\n"
                           f"{'set logscale y' if log else 'set yrange [0:*]'}\n"
                           f"set ylabel '{ylabel}'\nset xtics rotate by -25 scale 0 font ',9'\n"
                           "set key outside top center horizontal\n"
                           f"plot {plots}\n")

    def lines(self, name, title, xs, xlabels, series, xlabel, ylabel):
        names = list(series)
        dat = self.write_dat(name, ["x"] + names, [[x] + [series[n][i] or None for n in names] for i, x in enumerate(xs)])
        xt = ", ".join(f"'{lab}' {x}" for x, lab in zip(xs, xlabels))
        plots = ", ".join(f"'{dat}' using 1:{i + 2} with linespoints lw 2 pt 7 title '{n}'" for i, n in enumerate(names))
        self.gnuplot(name, f"set title \"{title}\"\nset logscale xy\nset xtics ({xt})\n"
                           f"set xlabel '{xlabel}'\nset ylabel '{ylabel}'\nset key outside top center horizontal\n"
                           f"plot {plots}\n")

    # ---- tables -------------------------------------------------------------------------------------------
    def throughput(self, scenario, rows, keys, header, label, chart_title):
        """A table of cells x implementations (msg/s median (min-max), CPU/1k median), ratios, a bar chart."""
        impls = self.impls(rows)
        cells = self.cells(rows, keys)
        durab = {i: next((r["durability"] for r in rows if r["impl"] == i), "") for i in impls}
        cols = header + [f"{i}{' (fsync)' if durab[i] == 'fsync' else ''} msg/s" for i in impls] + \
            [f"{i} cpu-s/1k" for i in impls] + [f"x {p}" for p in impls if p != OURS and OURS in impls]
        out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
        series = OrderedDict((i, []) for i in impls)
        labels, ratios = [], {}
        for cell in cells:
            sel = [r for r in rows if tuple(r[k] for k in keys) == cell]
            rates = {i: [num(r["msgs_per_s"]) for r in sel if r["impl"] == i] for i in impls}
            cpus = {i: [num(r["cpu_s_per_1000"]) for r in sel if r["impl"] == i] for i in impls}
            desc = label(cell)
            line = list(desc) + [spread(rates[i]) for i in impls] + [fmt_num(median(cpus[i])) for i in impls]
            ours = median(rates.get(OURS, []))
            for p in impls:
                if p == OURS or OURS not in impls:
                    continue
                theirs = median(rates[p])
                if ours and theirs:
                    line.append(f"{ours / theirs:.2f}")
                    ratios.setdefault(p, []).append((ours / theirs, " ".join(desc)))
                else:
                    line.append("-")
            out.append("| " + " | ".join(line) + " |")
            labels.append(" ".join(d for d in desc if d))
            for i in impls:
                series[i].append(median(rates[i]))
        self.bars(scenario, chart_title, labels, series, "msg/s (median, log scale)")
        return out, ratios

    def report(self, scenarios):
        md = self.md
        machine = open(os.path.join(self.out, "machine.txt")).read() if os.path.exists(
            os.path.join(self.out, "machine.txt")) else ""
        steps = []
        if os.path.exists(os.path.join(self.out, "steps.tsv")):
            steps = [l.rstrip("\n").split("\t") for l in open(os.path.join(self.out, "steps.tsv")) if l.strip()]
        md.append(f"# Benchmark results{' (smoke run: a few seconds per scenario; not for comparison)' if self.smoke else ''}")
        md.append("")
        md.append("Made by `benchmarks/run-all.sh" + (" --smoke" if self.smoke else "") + "`; every number below "
                  "is in `results.csv`, every command in `commands.txt`, the machine in `machine.txt`. Cells give the "
                  "median msg/s over the runs and (min-max); `x peer` is Peregrine's msg/s over the peer's. "
                  "Loopback only, every peer on the same 2 cores as the load generator: read ratios of one run "
                  "rather than absolute rates.")
        md.append("")
        md.append("```")
        md.append(machine.strip())
        md.append("```")
        md.append("")
        if steps:
            md.append("| step | wall s | status |")
            md.append("|---|---|---|")
            for s in steps:
                md.append(f"| {s[0]} | {s[1]} | {s[2]} |")
            md.append("")
        headline_at = len(md)
        all_ratios = OrderedDict()

        size_label = lambda c: fmt_size(c[0])

        def section(key):
            md.append(f"## {TITLES[key]}")
            md.append("")
            if key in DESCRIPTIONS:
                md.append(DESCRIPTIONS[key])
                md.append("")

        rows = self.of("codec")
        if rows:
            section("codec")
            md.append("| benchmark | size | ops/s | content MiB/s | allocation B/op | JMH error (99.9 %) |")
            md.append("|---|---|---|---|---|---|")
            labels, vals = [], []
            for r in rows:
                notes = dict(kv.split("=", 1) for kv in r["note"].split() if "=" in kv)
                ops = num(r["msgs_per_s"])
                mib = ops * int(r["size"]) / (1 << 20) if ops and r["size"] else None
                md.append(f"| `{r['impl']}` | {fmt_size(r['size'])} | {fmt_num(ops)} | {fmt_num(mib)} | "
                          f"{notes.get('alloc_bytes_per_op', '-')} | {notes.get('error99.9', '-')} |")
                labels.append(f"{r['impl'].split('.')[-1]} {fmt_size(r['size'])}".strip())
                vals.append(ops)
            md.append("")
            self.bars("codec", "Codec: operations per second (JMH)", labels, {"ops/s": vals}, "ops/s (log scale)")

        rows = self.of("server")
        if rows:
            section("server")
            t, ratios = self.throughput("server", rows, ["size", "sessions", "mode"], ["size", "sessions", "mode"],
                                        lambda c: (fmt_size(c[0]), c[1], c[2]),
                                        "Server throughput by cell: smtp-source -> each server")
            md += t + [""]
            all_ratios["server"] = ratios
        rows = self.of("server-latency")
        if rows:
            section("server-latency")
            md += self.latency_table("server-latency", rows, "Server acceptance latency, 1 KiB, 10 sessions")
        for key, xkey, xlabel, fmt in (("scale-sessions", "sessions", "sessions", str),
                                       ("scale-size", "size", "message size", fmt_size)):
            rows = self.of(key)
            if not rows:
                continue
            section(key)
            t, ratios = self.throughput(key + "-table", rows, [xkey], [xlabel], lambda c: (fmt(c[0]),), key)
            for ext in (".svg", ".dat", ".png"):
                if os.path.exists(os.path.join(self.out, "charts", key + "-table" + ext)):
                    os.remove(os.path.join(self.out, "charts", key + "-table" + ext))
            self.charts.pop(key + "-table", None)
            md += t + [""]
            all_ratios[key] = ratios
            impls = self.impls(rows)
            xs = sorted({int(r[xkey]) for r in rows})
            series = OrderedDict((i, [median([num(r["msgs_per_s"]) for r in rows
                                              if r["impl"] == i and int(r[xkey]) == x]) for x in xs]) for i in impls)
            self.lines(key, TITLES[key].replace("`", "").replace("->", "to"), xs, [fmt(x) for x in xs], series,
                       xlabel + " (log scale)", "msg/s (median, log scale)")
        rows = self.of("client")
        if rows:
            section("client")
            t, ratios = self.throughput("client", rows, ["size", "sessions", "net"], ["size", "sessions", "net"],
                                        lambda c: (fmt_size(c[0]), c[1], c[2]), "Client throughput into smtp-sink")
            md += t + [""]
            all_ratios["client"] = ratios
        rows = self.of("client-chunking")
        if rows:
            section("client-chunking")
            t, ratios = self.throughput("client-chunking", rows, ["size", "sessions", "net"],
                                        ["size", "sessions", "net"], lambda c: (fmt_size(c[0]), c[1], c[2]),
                                        "Client throughput through 10 ms into a CHUNKING server")
            md += t + [""]
            all_ratios["client-chunking"] = ratios
        rows = self.of("mailer")
        if rows:
            section("mailer")
            t, ratios = self.throughput("mailer", rows, ["size", "sessions", "net"], ["size", "sessions", "net"],
                                        lambda c: (fmt_size(c[0]), c[1], c[2]), "Mailer throughput (50 domains, 10 ms)")
            spm = [kv.split("=", 1)[1] for r in rows if r["impl"] == OURS for kv in r["note"].split()
                   if kv.startswith("sessions_per_1000=")]
            md += t + ["", f"Peregrine's sessions opened per 1,000 messages, per run: {', '.join(spm) or '-'}.", ""]
            all_ratios["mailer"] = ratios
        rows = self.of("relay")
        if rows:
            section("relay")
            t, ratios = self.throughput("relay", rows, ["size", "sessions", "mode"], ["size", "sessions", "mode"],
                                        lambda c: (fmt_size(c[0]), c[1], c[2]), "Relay accepted msg/s (fsync on)")
            deliv = {}
            for r in rows:
                for kv in r["note"].split():
                    if kv.startswith("delivered_msgs_per_s="):
                        deliv.setdefault((r["impl"], fmt_size(r["size"]), r["sessions"]), []).append(num(kv.split("=")[1]))
            md += t + ["", "Delivered msg/s (until the sink counted them all): " +
                       "; ".join(f"{i} {s} x{n}: {spread(v)}" for (i, s, n), v in deliv.items()) + ".", ""]
            all_ratios["relay"] = ratios
        rows = self.of("relay-latency")
        if rows:
            section("relay-latency")
            md += self.latency_table("relay-latency", rows, "Relay acceptance latency, 10 KiB, 50 sessions, fsync")
        rows = self.of("idle")
        if rows:
            section("idle")
            md.append("| sessions | heap before MiB | heap with MiB | bytes per session |")
            md.append("|---|---|---|---|")
            before, with_ = [], []
            for r in rows:
                n = dict(kv.split("=", 1) for kv in r["note"].split() if "=" in kv)
                md.append(f"| {r['sessions']} | {n.get('heap_before_mib', '-')} | {n.get('heap_with_mib', '-')} | "
                          f"{n.get('bytes_per_session', '-')} |")
                before.append(num(n.get("heap_before_mib")))
                with_.append(num(n.get("heap_with_mib")))
            md.append("")
            self.bars("idle", f"Server heap after GC, {rows[-1]['sessions']} idle sessions",
                      [f"{r['sessions']} sessions" for r in rows],
                      OrderedDict([("before", before), ("with the sessions", with_)]), "MiB", log=False)

        rows = self.of("cluster")
        if rows:
            section("cluster")
            md.append("| set-up | nodes | sessions | delivered msg/s | cpu-s/1k (all nodes) | msg/s per cpu-s | "
                      "redis calls/msg | redis cpu-ms/1k |")
            md.append("|---|---|---|---|---|---|---|---|")
            labels, per_cpu = [], []
            for impl in self.impls(rows):
                sel = [r for r in rows if r["impl"] == impl]
                notes = [dict(kv.split("=", 1) for kv in r["note"].split() if "=" in kv) for r in sel]
                cpu = median([num(r["cpu_s_per_1000"]) for r in sel])
                md.append(f"| {impl.replace('peregrine-', '')} | {notes[0].get('nodes', '-')} | {sel[0]['sessions']} | "
                          f"{spread([num(r['msgs_per_s']) for r in sel])} | {fmt_num(cpu)} | "
                          f"{fmt_num(1000 / cpu) if cpu else '-'} | "
                          f"{fmt_num(median([num(n.get('redis_calls_per_msg')) for n in notes]))} | "
                          f"{fmt_num(median([num(n.get('redis_cpu_ms_per_1k')) for n in notes]))} |")
                labels.append(impl.replace("peregrine-", ""))
                per_cpu.append(1000 / cpu if cpu else None)
            md.append("")
            self.bars("cluster", "Messages per CPU-second of node (fsync)", labels,
                      OrderedDict([("msg/s per cpu-s", per_cpu)]), "msg/s per CPU-second", log=False)

        # Headline: Peregrine over each peer, median over the cells of a scenario, (min-max).
        head = ["## Headline: Peregrine's msg/s over each peer's", "",
                "Median over the scenario's cells (min-max over cells; a cell's value is the ratio of medians).", "",
                "| scenario | peer | ratio | cells |", "|---|---|---|---|"]
        for scen, ratios in all_ratios.items():
            for peer, rs in ratios.items():
                vals = [v for v, _ in rs]
                head.append(f"| {scen} | {peer} | **{statistics.median(vals):.2f}x** ({min(vals):.2f}-{max(vals):.2f}) | "
                            f"{len(vals)} |")
        head.append("")
        if self.charts:
            head.append("Charts: " + ", ".join(f"[{n}]({p})" for n, p in self.charts.items()) + ".")
            head.append("")
            for n in ("scale-sessions", "scale-size", "server", "client"):
                if n in self.charts:
                    head.append(f"![{n}]({self.charts[n]})")
            head.append("")
        md[headline_at:headline_at] = head
        for n, p in self.charts.items():
            if n not in ("scale-sessions", "scale-size", "server", "client"):
                md.append(f"![{n}]({p})")
        md.append("")
        with open(os.path.join(self.out, "summary.md"), "w") as f:
            f.write("\n".join(md) + "\n")
        return self.check(scenarios)

    def latency_table(self, name, rows, title):
        impls = self.impls(rows)
        out = ["| server | achieved msg/s | p50 ms | p99 ms | offered, failures |", "|---|---|---|---|---|"]
        p50, p99 = [], []
        for i in impls:
            sel = [r for r in rows if r["impl"] == i]
            a = median([num(r["msgs_per_s"]) for r in sel])
            m50 = median([num(r["p50_ms"]) for r in sel])
            m99 = median([num(r["p99_ms"]) for r in sel])
            out.append(f"| {i} | {fmt_num(a)} | {fmt_num(m50)} | {fmt_num(m99)} | {sel[0]['note']} |")
            p50.append(m50)
            p99.append(m99)
        self.bars(name, title, impls, OrderedDict([("p50", p50), ("p99", p99)]), "ms (log scale)")
        return out + [""]

    def check(self, scenarios):
        problems = []
        for s in scenarios:
            need_rows, need_charts = EXPECT[s]
            for scen in need_rows:
                if scen == "client-rtt":
                    sel = [r for r in self.rows if r["scenario"] == "client" and r["net"].startswith("rtt")]
                else:
                    sel = self.of(scen)
                ok = any(num(r["msgs_per_s"]) for r in sel) or (scen == "idle" and any(
                    "bytes_per_session=" in r["note"] for r in sel))
                if not ok:
                    problems.append(f"{s}: no numbers for {scen}")
            for c in need_charts:
                if c not in self.charts:
                    problems.append(f"{s}: no chart {c}")
        for p in problems:
            print(f"summarize: MISSING {p}", file=sys.stderr)
        print(f"summarize: {len(self.rows)} rows, {len(self.charts)} charts, "
              f"{len(scenarios) - len({p.split(':')[0] for p in problems})} of {len(scenarios)} scenarios complete",
              file=sys.stderr)
        return 1 if problems else 0


def main(argv):
    if len(argv) >= 2 and argv[0] == "jmh":
        jmh(argv[1])
        return 0
    if len(argv) >= 2 and argv[0] == "report":
        out = argv[1]
        scenarios = list(EXPECT)
        if "--scenarios" in argv:
            scenarios = argv[argv.index("--scenarios") + 1].split()
        return Report(out, "--smoke" in argv).report(scenarios)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
