# Shell helpers of bench/run and bench/live: servers started in the background and
# stopped on exit, and wrk's figures. Source it after setting BIN, THREADS, CONNECTIONS and
# DURATION.

WORK=$(mktemp -d)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

# Starts a server command in the background; sets STARTED_PID and STARTED_URL once it
# listens (not a subshell, so the PID can be cleaned up).
start() {
    local out=$1; shift
    # Emptied here rather than by the child's own redirection: the file may hold an earlier
    # server's address, which the loop below must not read before the child truncates it.
    : >"$out"
    "$@" >>"$out" 2>>"$WORK/servers.log" &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
    for _ in $(seq 300); do
        if grep -q '^listening on ' "$out"; then
            STARTED_URL=$(sed -n 's/^listening on //p' "$out")
            return
        fi
        sleep 0.1
    done
    echo "server did not start: $*" >&2; cat "$WORK/servers.log" >&2; exit 1
}

stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

# Starts the registry on DATABASE_URL, with its read cache (CACHE=on) or without (off);
# the access log is a real cost of every request, so it stays on (to a file). The live
# registry's per-tenant rate limit (50,000 a day) would stop the heartbeat runs.
start_registry() {
    local url=$1 cache=$2 capacity=67108864
    [ "$cache" = off ] && capacity=0
    start "$WORK/server-$cache.out" env RUST_LOG=info SERVICE_REGISTRY_LIVE__RATE_LIMIT=1000000000000 \
        SERVICE_REGISTRY_CACHE__CAPACITY_BYTES=$capacity \
        "$BIN/service-registry" serve --bind 127.0.0.1:0 --database-url "$url"
}

# wrk's figures as "requests/s p50-ms p99-ms errors". Arguments: URL, wrk options, and
# optionally "--" followed by the script's arguments (which wrk wants after the URL).
measure() {
    local url=$1; shift
    local options=() script_args=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do options+=("$1"); shift; done
    [ $# -gt 0 ] && { shift; script_args=("--" "$@"); }
    local report
    report=$(wrk --latency -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" "${options[@]}" "$url" "${script_args[@]}")
    awk '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /Requests\/sec:/ { rps = $2 }
        /^ +50%/ { p50 = ms($2) }
        /^ +99%/ { p99 = ms($2) }
        /Non-2xx or 3xx responses:/ { errors = $5 }
        /Socket errors:/ { errors += $4 + $6 + $8 + $10 }
        END { printf "%.0f %.3f %.3f %d\n", rps, p50, p99, errors }' <<<"$report"
}


# Confines process $1 (and the threads it starts later) to $2 cores with a CPU quota of
# its own cgroup: cgroup v2's cpu.max or v1's cpu.cfs_quota_us, whichever this machine
# mounts writable. Fails loudly where neither is.
confine() {
    local pid=$1 cores=$2 period=100000 quota group
    quota=$(awk -v c="$cores" -v p="$period" 'BEGIN { printf "%d", c * p }')
    if [ -w /sys/fs/cgroup/cgroup.subtree_control ] && grep -qw cpu /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
        group=/sys/fs/cgroup/registry-bench-$pid
        mkdir -p "$group"
        echo "$quota $period" >"$group/cpu.max"
    elif [ -w /sys/fs/cgroup/cpu ]; then
        group=/sys/fs/cgroup/cpu/registry-bench-$pid
        mkdir -p "$group"
        echo "$period" >"$group/cpu.cfs_period_us"
        echo "$quota" >"$group/cpu.cfs_quota_us"
    else
        echo "--node-cpu needs a writable cgroup CPU controller (v2 cpu.max or v1 cpu)" >&2
        exit 1
    fi
    echo "$pid" >"$group/cgroup.procs"
    GROUPS_MADE+=("$group")
    CONFINED_GROUP=$group
}

# The command that changes the quota of the group `confine` made last to CORES cores.
requota_command() {
    local cores=$1 period=100000 quota
    quota=$(awk -v c="$cores" -v p="$period" 'BEGIN { printf "%d", c * p }')
    if [ -e "$CONFINED_GROUP/cpu.max" ]; then
        echo "echo '$quota $period' >'$CONFINED_GROUP/cpu.max'"
    else
        echo "echo '$quota' >'$CONFINED_GROUP/cpu.cfs_quota_us'"
    fi
}
GROUPS_MADE=()
# A group can be removed once its processes have exited.
remove_groups() {
    for group in "${GROUPS_MADE[@]}"; do
        for _ in $(seq 50); do rmdir "$group" 2>/dev/null && break; sleep 0.1; done
    done
}
trap 'cleanup; remove_groups' EXIT
