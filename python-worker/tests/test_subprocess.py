"""The worker as the daemon runs it: a child process speaking frames on its stdin/stdout."""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from quantbot.storage.worker.v1 import worker_pb2

from quantbot_worker.framing import encode_frame, read_frame

from conftest import Env, configure_frame, parse_replies, request_frame

pytestmark = pytest.mark.subprocess

SRC = Path(__file__).resolve().parents[1] / "src"


def python_path() -> str:
    import quantbot.storage.worker.v1.worker_pb2 as generated

    generated_root = Path(generated.__file__).resolve().parents[4]
    return os.pathsep.join([str(SRC), str(generated_root)])


def start(args: list[str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": python_path()}
    return subprocess.Popen(
        [sys.executable, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )


def next_frame(process: subprocess.Popen[bytes]) -> worker_pb2.WorkerFrame:
    assert process.stdout is not None
    payload = read_frame(process.stdout)  # type: ignore[arg-type]
    assert payload is not None, "worker closed stdout"
    frame = worker_pb2.WorkerFrame()
    frame.ParseFromString(payload)
    return frame


def send(process: subprocess.Popen[bytes], frame: worker_pb2.DaemonFrame | bytes) -> None:
    assert process.stdin is not None
    process.stdin.write(frame if isinstance(frame, bytes) else encode_frame(frame))
    process.stdin.flush()


def test_python_m_quantbot_worker_end_to_end(env: Env) -> None:
    process = start(["-m", "quantbot_worker"])
    try:
        send(process, configure_frame(env))
        ready = next_frame(process).ready
        assert ready.pid == process.pid
        send(process, request_frame(1, "query", worker_pb2.QueryOp(sql="SELECT 40 + 2 AS answer")))
        assert next_frame(process).accepted.request_id == 1
        response = next_frame(process).response
        assert json.loads(response.result.query.json_rows) == [{"answer": 42}]
        # Warm: the same process serves request after request (its speed is measured by bench/, not asserted here).
        for i in range(20):
            send(process, request_frame(100 + i, "query", worker_pb2.QueryOp(sql="SELECT 1 AS one")))
            assert next_frame(process).accepted.request_id == 100 + i
            assert next_frame(process).response.id == 100 + i
        send(process, worker_pb2.DaemonFrame(ping=worker_pb2.Ping(nonce=9)))
        assert next_frame(process).pong.requests_served == 21
        assert process.poll() is None
        assert process.stdin is not None
        process.stdin.close()
        assert process.wait(timeout=20) == 0
        assert process.stderr is not None
        log = process.stderr.read().decode()
        assert "ready" in log and "stdin closed" in log
    finally:
        process.kill()
        process.wait()


def test_stray_output_cannot_corrupt_the_frames(env: Env) -> None:
    # A handler that prints, both through Python and straight to file descriptor 1.
    script = (
        "import os, quantbot_worker.handlers as h\n"
        "real = h.HANDLERS['sleep']\n"
        "def noisy(ctx, op):\n"
        "    print('a stray print')\n"
        "    os.write(1, b'raw bytes on fd 1')\n"
        "    return real(ctx, op)\n"
        "h.HANDLERS['sleep'] = noisy\n"
        "from quantbot_worker.cli import run\n"
        "raise SystemExit(run())\n"
    )
    process = start(["-c", script])
    data = encode_frame(configure_frame(env)) + encode_frame(request_frame(1, "sleep", worker_pb2.SleepOp(millis=1)))
    out, err = process.communicate(data, timeout=60)
    assert process.returncode == 0, err.decode()
    replies = parse_replies(out)
    assert [r.WhichOneof("frame") for r in replies] == ["ready", "response"]
    assert replies[1].response.result.sleep.slept_ms >= 0
    assert b"a stray print" in err and b"raw bytes on fd 1" in err


def test_malformed_frame_makes_the_process_exit_non_zero(env: Env) -> None:
    process = start(["-m", "quantbot_worker"])
    data = encode_frame(configure_frame(env)) + struct.pack(">I", 4) + b"\xff\xff\xff\xff"
    out, err = process.communicate(data, timeout=60)
    assert process.returncode == 2
    assert [r.WhichOneof("frame") for r in parse_replies(out)] == ["ready"]
    assert b"malformed frame" in err


def test_frames_parse_with_a_plain_reader(env: Env) -> None:
    """The bytes on stdout are exactly length-prefixed frames, nothing else."""
    process = start(["-m", "quantbot_worker"])
    out, _ = process.communicate(encode_frame(configure_frame(env)), timeout=60)
    stream = io.BytesIO(out)
    (length,) = struct.unpack(">I", stream.read(4))
    assert len(out) == 4 + length
