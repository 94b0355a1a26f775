"""Process and sink helpers for the benchmark scripts (python3 procs.py MODE ...).

pids MASTER            the processes of a session (a private Postfix instance: its master's session)
cpu PID jvm|postfix    CPU ns of a process's threads (schedstat, exact), or of a Postfix instance (its session
                       plus the children its master reaped)
wait SINK_OUT N T      reads smtp-sink -c's count from SINK_OUT, prints "ready 1", then "done EPOCH" once the
                       sink has counted N more messages (or "timeout DELIVERED" and exit 1 after T seconds)
"""
import os, re, sys, time
def sched(p):
    t = 0
    for task in os.listdir(f"/proc/{p}/task"):
        try: t += int(open(f"/proc/{p}/task/{task}/schedstat").read().split()[0])
        except (OSError, ValueError, IndexError): pass
    return t
def session(m):
    for p in filter(str.isdigit, os.listdir("/proc")):
        try: st = open(f"/proc/{p}/stat").read(); f = st[st.rindex(")") + 2:].split()
        except OSError: continue
        if f[3] == m: yield p, f
if sys.argv[1] == "pids": print("\n".join(p for p, _ in session(sys.argv[2]))); sys.exit()
if sys.argv[1] == "cpu":
    m, hz, tot = sys.argv[2], os.sysconf("SC_CLK_TCK"), 0
    if sys.argv[3] == "jvm": print(sched(m)); sys.exit()
    for p, f in session(m):
        try: tot += sched(p)
        except OSError: pass
        if p == m: tot += (int(f[13]) + int(f[14])) * 10**9 // hz
    print(tot); sys.exit()
path, n, limit = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
def count():
    with open(path, "rb") as h:
        h.seek(max(0, os.path.getsize(path) - 100)); c = re.findall(rb"mesg=(\d+)", h.read())
    return int(c[-1]) if c else 0
base = count(); print("ready 1", flush=True); end = time.time() + limit
while time.time() < end:
    if count() >= base + n: print("done %.6f" % time.time()); sys.exit()
    time.sleep(0.005)
print("timeout", count() - base); sys.exit(1)
