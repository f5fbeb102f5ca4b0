#!/usr/bin/env bash
# Tests of sweep-runner/bin/demo's promises beyond the happy path (.ci/run runs the full demo itself):
#   --help needs no daemon; a daemon it starts is stopped even when the runner fails, and the runner's exit
#   code comes through; a daemon that already answers is used and left running; a data dir another
#   daemon holds ends with exit 3 and that daemon's reason; something else on the gRPC port (the ops port, a web
#   server) ends with exit 3 and says so.
# Needs the jars built (mvn install -DskipTests); run from anywhere. Uses six free ports (chosen by the kernel), never fixed ones.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
cd "$root"
demo=sweep-runner/bin/demo
work="$(mktemp -d)"
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
grpc1="$(free_port)"; http1="$(free_port)"; grpc2="$(free_port)"; http2="$(free_port)"; grpc3="$(free_port)"; http3="$(free_port)"
failures=0
other_pid=""

cleanup() {
    if [[ -n "$other_pid" ]]; then kill -TERM "$other_pid" 2>/dev/null; wait "$other_pid" 2>/dev/null; fi
    rm -rf "$work"
}
trap cleanup EXIT

check() {  # check NAME CONDITION...
    local name="$1"; shift
    if "$@"; then echo "ok   $name"; else echo "FAIL $name"; failures=$((failures + 1)); fi
}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_ready() {  # wait_ready HTTP_PORT
    for _ in $(seq 1 300); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1"; printf 'GET /readyz HTTP/1.0\r\n\r\n' >&3; IFS= read -r -t 5 s <&3; [[ "$s" == *" 200"* ]]) 2>/dev/null; then
            return 0
        fi
        sleep 0.2
    done
    return 1
}

# 1. --help starts nothing.
out="$(QUANTBOT_GRPC_PORT=$grpc1 QUANTBOT_HTTP_PORT=$http1 bash "$demo" --help 2>"$work/help.err")"; code=$?
check "--help exits 0" test "$code" -eq 0
check "--help prints the demo's usage" grep -q "Usage: sweep-runner demo" <<<"$out"
check "--help starts no daemon" bash -c "! grep -q 'starting the storage daemon' '$work/help.err'"

# 2. The daemon it starts is stopped when the runner fails, and the runner's code is the script's.
QUANTBOT_DATA_DIR="$work/data1" QUANTBOT_GRPC_PORT=$grpc1 QUANTBOT_HTTP_PORT=$http1 \
    bash "$demo" --top -1 >"$work/2.out" 2>"$work/2.err"; code=$?
check "a usage error of the runner exits 2" test "$code" -eq 2
check "the runner said why" grep -q -- "--top must be >= 0" "$work/2.err"
check "the daemon it started was stopped" bash -c "grep -q 'stopping the daemon it started' '$work/2.err' && ! (exec 3<>/dev/tcp/127.0.0.1/$grpc1) 2>/dev/null"

# 3. A daemon that answers already is used, and left running.
java -jar storage-daemon/target/storage-daemon.jar --data-dir "$work/data2" --grpc-port $grpc2 --http-port $http2 \
    >"$work/other.log" 2>&1 &
other_pid=$!
check "a daemon of our own gets ready" wait_ready $http2
QUANTBOT_GRPC_PORT=$grpc2 QUANTBOT_HTTP_PORT=$http2 bash "$demo" --top -1 >"$work/3.out" 2>"$work/3.err"; code=$?
check "it is not started again" grep -q "127.0.0.1:$grpc2 is in use: checking that it is a quantbot storage daemon" "$work/3.err"
check "the runner's code comes through" test "$code" -eq 2
check "it is left running" kill -0 "$other_pid"

# 4. A data dir that daemon holds: exit 3, with the held lock named.
QUANTBOT_DATA_DIR="$work/data2" QUANTBOT_GRPC_PORT=$grpc1 QUANTBOT_HTTP_PORT=$http1 \
    bash "$demo" >"$work/4.out" 2>"$work/4.err"; code=$?
check "a held data dir exits 3" test "$code" -eq 3
check "the daemon's reason is shown" grep -q "is locked by process" "$work/4.err"
check "the other daemon still runs" kill -0 "$other_pid"

# 5. Something that is not our daemon on the gRPC port (that daemon's HTTP ops port, a plain web server):
#    exit 3 with what was found (not a bare "INTERNAL: http2 exception"), and no sweep starts.
python3 -m http.server $grpc3 --bind 127.0.0.1 >"$work/web.log" 2>&1 &
web_pid=$!
for _ in $(seq 1 100); do listening $grpc3 && break; sleep 0.1; done
for port in $http2 $grpc3; do
    QUANTBOT_GRPC_PORT=$port QUANTBOT_HTTP_PORT=$http3 bash "$demo" >"$work/5-$port.out" 2>"$work/5-$port.err"; code=$?
    check "port $port (not a daemon) exits 3" test "$code" -eq 3
    check "port $port is named as not a daemon" grep -q "something listens at 127.0.0.1:$port, but it is not a quantbot storage daemon" "$work/5-$port.err"
    check "port $port: not a bare INTERNAL error" bash -c "! grep -q '^error: INTERNAL' '$work/5-$port.err'"
    check "port $port: no daemon was started" bash -c "! grep -q 'starting the storage daemon' '$work/5-$port.err'"
done
kill -TERM "$web_pid" 2>/dev/null; wait "$web_pid" 2>/dev/null

if (( failures > 0 )); then
    echo "demo-script-test: $failures check(s) failed" >&2
    for f in "$work"/*.err; do echo "--- $f"; tail -n 15 "$f"; done >&2
    exit 1
fi
echo "demo-script-test: all checks passed"
