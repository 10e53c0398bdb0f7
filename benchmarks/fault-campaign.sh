#!/usr/bin/env bash
# Fault campaign: replays the faults of docs/cluster.md ("Faults, tried") against real `ntk` processes and prints one
# line per fault with its timing and outcome. Loopback and private network namespaces only; every step is bounded
# by a timeout, and everything it starts, mounts or creates is removed on exit.
#
#   benchmarks/fault-campaign.sh            # all faults (as root: also full disks, PostgreSQL, the partition)
#   NTK_DLL=path/to/ntk.dll benchmarks/fault-campaign.sh
#
# Faults that need root (a tmpfs to fill, a network namespace, a PostgreSQL server run as "postgres") are reported as
# skipped, with the reason, when not run as root. Takes about 5-8 minutes on 2 cores.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NTK_DLL=${NTK_DLL:-$ROOT/src/Ntk.Cli/bin/Release/net10.0/ntk.dll}
if [ ! -f "$NTK_DLL" ]; then
  echo "building the CLI (Release)..." >&2
  dotnet build "$ROOT/src/Ntk.Cli" -c Release -nologo -v quiet >&2 || exit 1
fi
WORK=$(mktemp -d /tmp/ntk-faults.XXXXXX)
chmod 755 "$WORK"   # the PostgreSQL server runs as "postgres" and keeps its data and socket below it
NETNS_A=ntkfA$$
NETNS_B=ntkfB$$
PIDS=()
MOUNTS=()
PG_DATA=""
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

cleanup() {
  for pid in "${PIDS[@]}"; do kill -CONT "$pid" 2>/dev/null; kill -KILL "$pid" 2>/dev/null; done
  for mount in "${MOUNTS[@]}"; do umount -l "$mount" 2>/dev/null; done
  if [ -n "$PG_DATA" ]; then runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA/data" -m immediate -w stop >/dev/null 2>&1; fi
  ip netns del "$NETNS_A" 2>/dev/null
  ip netns del "$NETNS_B" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ntk() { dotnet "$NTK_DLL" "$@"; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
line() { printf '%-30s %s\n' "$1" "$2"; }
is_root() { [ "$(id -u)" = 0 ]; }

# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s; false on timeout.
wait_for() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@"; do [ "$(date +%s)" -ge "$deadline" ] && return 1; sleep 0.1; done
}
# exit_code PID SECONDS: waits for a background job of this shell; sets CODE to its exit code, or "none" after
# SECONDS (not in $(...): a subshell cannot wait for its parent's jobs).
exit_code() {
  local deadline=$(( $(date +%s) + $2 ))
  while kill -0 "$1" 2>/dev/null; do [ "$(date +%s)" -ge "$deadline" ] && { CODE=none; return; }; sleep 0.1; done
  wait "$1"; CODE=$?
}
# count_of PATTERN FILE...: matching lines (0 when none or no file).
count_of() { local n; n=$(cat "${@:2}" 2>/dev/null | grep -c "$1"); echo "${n:-0}"; }
events() { count_of "\"Event\":\"$2\"" "$1"/*.log; }
saved_trials() { grep -o '"totalTrials": *[0-9]*' "$1/results.json" 2>/dev/null | grep -o '[0-9]*$' || echo 0; }
at_least_saved() { [ "$(saved_trials "$1")" -ge "$2" ]; }
same_csv() { cmp -s "$REFERENCE/results.csv" "$1/results.csv" && echo "results.csv identical" || echo "results.csv DIFFERS"; }
temporaries() { find "$1" -name '*.tmp' | wc -l; }
cut_lines() { local n=0 f; for f in "$1"/*.log; do [ -s "$f" ] && [ "$(tail -c1 "$f" | od -An -c | tr -d ' ')" != '\n' ] && n=$((n + 1)); done; echo "$n"; }

cat > "$WORK/sweep.json" <<'EOF'
{
  "name": "fault-campaign",
  "seed": 5,
  "trials": 60000,
  "shardTrials": 200,
  "network": { "inputDim": 4, "depth": [2, 3], "width": 32, "weights": "gaussian", "engine": "auto" },
  "inputs": { "kind": "pair", "thetaDegrees": [30, 90] }
}
EOF
cat > "$WORK/test.hocon" <<'EOF'
ntk.sweep.lease-timeout = 20s
ntk.sweep.work-retry-interval = 200ms
ntk.coordinator.linger = 5s
ntk.worker.rejoin-delay = 1s
akka.cluster.split-brain-resolver.stable-after = 2s
akka.cluster.failure-detector.acceptable-heartbeat-pause = 5s
EOF
# The journal faults keep every event (no aggregator snapshots, which delete the events before them): a SQLite file
# whose freed pages are reused stops growing, and a full disk would then go unnoticed.
{ cat "$WORK/test.hocon"; echo "ntk.persistence.snapshot-every = 0"; } > "$WORK/journal.hocon"
SWEEP=$WORK/sweep.json
CONFIG=$WORK/test.hocon
REFERENCE=$WORK/reference
ntk run "$SWEEP" --out "$REFERENCE" --workers 1 >/dev/null 2>&1 || { echo "reference run failed"; exit 1; }
echo "fault campaign $(date -u +%FT%TZ), $(nproc) cores, sweep 4 points x 60000 trials (shards of 200)"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo $(( 20000 + RANDOM % 20000 )); }
# coordinator DIR PORT [ARGS...]: starts a coordinator in the background; sets COORD.
coordinator() {
  local dir=$1 p=$2; shift 2
  # dotnet itself in the background (not through a function): $! is then its pid, which names its log file.
  dotnet "$NTK_DLL" coordinator "$SWEEP" --out "$dir" --port "$p" --config "${COORDINATOR_CONFIG:-$CONFIG}" --snapshot-interval 1 "$@" >"$dir.coordinator.out" 2>&1 &
  COORD=$!; PIDS+=("$COORD")
}
# worker DIR PORT: starts a one-thread worker logging into DIR; sets WORKER.
worker() {
  dotnet "$NTK_DLL" worker --seeds "127.0.0.1:$2" --threads 1 --log-dir "$1" --config "$CONFIG" >>"$1.workers.out" 2>&1 &
  WORKER=$!; PIDS+=("$WORKER")
}
worker_events() { count_of "\"Event\":\"$3\"" "$1"/worker-*-"$2".log; }
has_events() { [ "$(worker_events "$1" "$2" "$3")" -ge "$4" ]; }

# 1. SIGKILL of a worker: its leases go to the other worker once it is downed.
fault_sigkill() {
  local dir=$WORK/sigkill p; p=$(port); mkdir -p "$dir"
  coordinator "$dir" "$p" --min-workers 2; local c=$COORD
  worker "$dir" "$p"; local victim=$WORKER; worker "$dir" "$p"
  wait_for 240 has_events "$dir" "$victim" ShardCompleted 20 || { line "worker SIGKILL" "did not start"; return; }
  local t; t=$(now); kill -KILL "$victim"
  wait_for 60 grep -q '"Event":"LeasesExpired"' "$dir/run.log"; local expired; expired=$(since "$t")
  local code; exit_code "$c" 150; code=$CODE
  line "worker SIGKILL" "leases expired after ${expired} s; coordinator exit $code after $(since "$t") s; $(same_csv "$dir")"
}

# 2. SIGSTOP of a worker for 15 s: downed, then it rejoins.
fault_sigstop() {
  local dir=$WORK/sigstop p; p=$(port); mkdir -p "$dir"
  coordinator "$dir" "$p" --min-workers 1; local c=$COORD
  worker "$dir" "$p"; local paused=$WORKER; worker "$dir" "$p"
  wait_for 240 has_events "$dir" "$paused" ShardCompleted 20 || { line "worker SIGSTOP 15 s" "did not start"; return; }
  local t; t=$(now); kill -STOP "$paused"
  wait_for 30 grep -q '"Event":"MemberDowned"' "$dir/run.log"; local downed; downed=$(since "$t")
  sleep 15; kill -CONT "$paused"
  wait_for 60 has_events "$dir" "$paused" NodeRejoining 1; local rejoined; rejoined=$(since "$t")
  local code; exit_code "$c" 150; code=$CODE
  line "worker SIGSTOP 15 s" "downed after ${downed} s; rejoining at ${rejoined} s; coordinator exit $code; $(same_csv "$dir")"
}

# 3. SIGTERM of a worker: drains, leaves, exits 0; no lease of it is re-issued after a timeout.
fault_sigterm() {
  local dir=$WORK/sigterm p; p=$(port); mkdir -p "$dir"
  coordinator "$dir" "$p" --min-workers 2; local c=$COORD
  worker "$dir" "$p"; local leaving=$WORKER; worker "$dir" "$p"
  wait_for 240 has_events "$dir" "$leaving" ShardCompleted 20 || { line "worker SIGTERM" "did not start"; return; }
  local t; t=$(now); kill -TERM "$leaving"
  local wcode; exit_code "$leaving" 60; wcode=$CODE; local left; left=$(since "$t")
  local code; exit_code "$c" 150; code=$CODE
  local leased completed returned
  leased=$(worker_events "$dir" "$leaving" ShardLeased); completed=$(worker_events "$dir" "$leaving" ShardCompleted)
  returned=$(worker_events "$dir" "$leaving" LeaseReturned)
  line "worker SIGTERM" "worker exit $wcode after ${left} s; $leased leases, $completed completed, $returned handed back (a lease on its way is handed back without being taken); re-issued $(events "$dir" ShardReissued), expired $(count_of '"Event":"LeasesExpired"' "$dir/run.log"); coordinator exit $code; $(same_csv "$dir")"
}

# 4. SIGKILL of the coordinator, twice, each time restarted with --resume.
fault_coordinator_kill() {
  local dir=$WORK/coordkill p; p=$(port); mkdir -p "$dir"
  coordinator "$dir" "$p" --min-workers 2; local c=$COORD
  worker "$dir" "$p"; worker "$dir" "$p"
  local kills=0 t; t=$(now)
  for threshold in 40000 140000; do
    wait_for 240 at_least_saved "$dir" "$threshold" || break
    kill -0 "$c" 2>/dev/null || break
    kill -KILL "$c"; kills=$((kills + 1)); t=$(now)
    coordinator "$dir" "$p" --min-workers 2 --resume; c=$COORD
  done
  local code; exit_code "$c" 150; code=$CODE
  line "coordinator SIGKILL x$kills" "resumed each time; last coordinator exit $code $(since "$t") s after the last kill; recovered $(grep -o '"Event":"AggregatorRecovered"' "$dir/run.log" | wc -l) aggregators from the journal; $(same_csv "$dir")"
  COMPLETE_DIR=$dir; COMPLETE_PORT=$p
}

# 5. --resume of a coordinator whose journal holds every shard: finishes without workers.
fault_resume_complete() {
  local dir=$COMPLETE_DIR
  local t; t=$(now)
  coordinator "$dir" "$COMPLETE_PORT" --min-workers 2 --resume
  local code; exit_code "$COORD" 60; code=$CODE
  line "--resume, nothing left" "exit $code after $(since "$t") s with no worker running; $(same_csv "$dir")"
}

# 6. The coordinator's SQLite journal on a disk that fills up (tmpfs).
fault_sqlite_full() {
  if ! is_root; then line "SQLite journal disk full" "skipped: mounting a tmpfs needs root"; return; fi
  local dir=$WORK/sqlitefull disk=$WORK/sqlitedisk p; p=$(port); mkdir -p "$dir" "$disk"
  mount -t tmpfs -o size=32m tmpfs "$disk" && MOUNTS+=("$disk")
  COORDINATOR_CONFIG=$WORK/journal.hocon coordinator "$dir" "$p" --min-workers 1 --journal "sqlite:$disk/journal.db"; local c=$COORD
  worker "$dir" "$p"
  wait_for 240 at_least_saved "$dir" 20000 || { line "SQLite journal disk full" "did not start"; return; }
  local t; t=$(now)
  dd if=/dev/zero of="$disk/filler" bs=64k >/dev/null 2>&1
  local code; exit_code "$c" 90; code=$CODE; local failed; failed=$(since "$t")
  local cause; cause=$(grep -o 'error: the run failed: [^;]*' "$dir.coordinator.out" | head -1)
  rm -f "$disk/filler"
  coordinator "$dir" "$p" --min-workers 1 --journal "sqlite:$disk/journal.db" --resume; c=$COORD
  worker "$dir" "$p"
  local rcode; exit_code "$c" 150; rcode=$CODE
  line "SQLite journal disk full" "coordinator exit $code after ${failed} s (${cause#error: }); resume exit $rcode; $(same_csv "$dir")"
}

# 7. The PostgreSQL journal's server stopped mid-sweep.
fault_postgres_down() {
  if ! is_root || [ -z "$PG_BIN" ]; then line "PostgreSQL stopped" "skipped: needs root and the PostgreSQL server binaries"; return; fi
  PG_DATA=$WORK/pg; mkdir -p "$PG_DATA"; chown postgres "$PG_DATA"
  local pgport; pgport=$(port)
  runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DATA/data" -U ntk --auth=trust -E UTF8 --no-sync >/dev/null 2>&1
  pg() { runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA/data" -l "$PG_DATA/server.log" -w -t 60 "$@" >/dev/null 2>&1; }
  pg -o "-p $pgport -k $PG_DATA -c listen_addresses=127.0.0.1 -c fsync=off" start
  "$PG_BIN/createdb" -h 127.0.0.1 -p "$pgport" -U ntk ntk_campaign
  local journal="Host=127.0.0.1;Port=$pgport;Username=ntk;Database=ntk_campaign;Pooling=false"
  local dir=$WORK/pgdown p; p=$(port); mkdir -p "$dir"
  COORDINATOR_CONFIG=$WORK/journal.hocon coordinator "$dir" "$p" --min-workers 1 --journal "$journal"; local c=$COORD
  worker "$dir" "$p"
  wait_for 240 at_least_saved "$dir" 20000 || { line "PostgreSQL stopped" "did not start"; return; }
  local t; t=$(now)
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DATA/data" -m immediate -w stop >/dev/null 2>&1
  local code; exit_code "$c" 90; code=$CODE; local failed; failed=$(since "$t")
  local cause; cause=$(grep -o 'error: the run failed: [^;]*' "$dir.coordinator.out" | head -1)
  pg -o "-p $pgport -k $PG_DATA -c listen_addresses=127.0.0.1 -c fsync=off" start
  coordinator "$dir" "$p" --min-workers 1 --journal "$journal" --resume; c=$COORD
  worker "$dir" "$p"
  local rcode; exit_code "$c" 150; rcode=$CODE
  line "PostgreSQL stopped" "coordinator exit $code after ${failed} s (${cause#error: }); resume exit $rcode; $(same_csv "$dir")"
}

# 8. `ntk run --out` on a disk that fills up.
fault_run_disk_full() {
  if ! is_root; then line "ntk run --out disk full" "skipped: mounting a tmpfs needs root"; return; fi
  local disk=$WORK/rundisk; mkdir -p "$disk"
  mount -t tmpfs -o size=16m tmpfs "$disk" && MOUNTS+=("$disk")
  local dir=$disk/out
  dotnet "$NTK_DLL" run "$SWEEP" --out "$dir" --workers 1 --snapshot-interval 0.2 >"$WORK/run.out" 2>"$WORK/run.err" &
  local r=$!; PIDS+=("$r")
  wait_for 240 at_least_saved "$dir" 20000 || { line "ntk run --out disk full" "did not start"; return; }
  local t; t=$(now)
  dd if=/dev/zero of="$disk/filler" bs=64k >/dev/null 2>&1
  local code; exit_code "$r" 90; code=$CODE; local failed; failed=$(since "$t")
  local errors; errors=$(count_of '^error:' "$WORK/run.err"); local traces; traces=$(count_of '^ *at ' "$WORK/run.err")
  local tmp; tmp=$(temporaries "$dir"); local cut; cut=$(cut_lines "$dir")
  rm -f "$disk/filler"
  ntk run "$SWEEP" --out "$dir" --workers 1 --resume >/dev/null 2>&1; local rcode=$?
  line "ntk run --out disk full" "exit $code after ${failed} s; $errors error line, $traces stack-trace lines, $tmp temporary files, $cut cut log lines; resume exit $rcode, $(temporaries "$dir") temporary files; $(same_csv "$dir")"
}

# 9. A partition: a worker in its own network namespace, its veth link cut for 15 s, then healed.
fault_partition() {
  if ! is_root; then line "partition 15 s (netns)" "skipped: network namespaces need root"; return; fi
  ip netns add "$NETNS_A" && ip netns add "$NETNS_B" || { line "partition 15 s (netns)" "skipped: cannot create namespaces"; return; }
  ip link add "va$$" type veth peer name "vb$$" || { line "partition 15 s (netns)" "skipped: cannot create a veth pair"; return; }
  ip link set "va$$" netns "$NETNS_A"; ip link set "vb$$" netns "$NETNS_B"
  ip -n "$NETNS_A" addr add 10.231.77.1/24 dev "va$$"; ip -n "$NETNS_B" addr add 10.231.77.2/24 dev "vb$$"
  for ns in "$NETNS_A" "$NETNS_B"; do ip -n "$ns" link set lo up; done
  ip -n "$NETNS_A" link set "va$$" up; ip -n "$NETNS_B" link set "vb$$" up
  local dir=$WORK/partition p=4053; mkdir -p "$dir"
  ip netns exec "$NETNS_A" dotnet "$NTK_DLL" coordinator "$SWEEP" --out "$dir" --port $p --config "$CONFIG" --snapshot-interval 1 \
    --hostname 10.231.77.1 --min-workers 2 >"$dir.coordinator.out" 2>&1 &
  local c=$!; PIDS+=("$c")
  ip netns exec "$NETNS_A" dotnet "$NTK_DLL" worker --seeds 10.231.77.1:$p --hostname 10.231.77.1 --threads 1 --log-dir "$dir" --config "$CONFIG" >>"$dir.workers.out" 2>&1 &
  PIDS+=("$!")
  ip netns exec "$NETNS_B" dotnet "$NTK_DLL" worker --seeds 10.231.77.1:$p --hostname 10.231.77.2 --threads 1 --log-dir "$dir" --config "$CONFIG" >>"$dir.workers.out" 2>&1 &
  local cut=$!; PIDS+=("$cut")
  wait_for 240 has_events "$dir" "$cut" ShardCompleted 20 || { line "partition 15 s (netns)" "did not start"; return; }
  local t; t=$(now)
  ip -n "$NETNS_B" link set "vb$$" down
  wait_for 30 grep -q '"Event":"MemberDowned"' "$dir/run.log"; local downed; downed=$(since "$t")
  sleep 15; ip -n "$NETNS_B" link set "vb$$" up
  local code; exit_code "$c" 150; code=$CODE
  line "partition 15 s (netns)" "cut worker downed after ${downed} s; healed at 15 s; rejoined: $(worker_events "$dir" "$cut" NodeRejoining) times; late results discarded: $(events "$dir" ShardDiscarded); coordinator exit $code; $(same_csv "$dir")"
}

fault_sigkill
fault_sigstop
fault_sigterm
fault_coordinator_kill
fault_resume_complete
fault_sqlite_full
fault_postgres_down
fault_run_disk_full
fault_partition
