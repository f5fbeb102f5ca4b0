"""Tests of the CI scripts on fixture trees: .ci/check-no-sleeps and .ci/run-doc-commands (run by .ci/run's ci_self_test)."""
from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap
import unittest
from pathlib import Path

CI = Path(__file__).resolve().parent.parent


def run(script: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(CI / script), *args], capture_output=True, text=True, timeout=120)


class Tree:
    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory()
        self.root = Path(self._dir.name)

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def close(self) -> None:
        self._dir.cleanup()


class CheckNoSleepsTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tree = Tree()
        self.addCleanup(self.tree.close)

    def check(self) -> subprocess.CompletedProcess[str]:
        return run("check-no-sleeps", "--root", str(self.tree.root))

    def test_a_clean_tree_passes(self) -> None:
        self.tree.write("m/src/test/java/ATest.java", "class ATest { void t() { Await.until(\"x\", d, () -> true); } }\n")
        self.tree.write("m/src/main/java/Prod.java", "class Prod { void p() throws Exception { Thread.sleep(5); } }\n")
        result = self.check()
        self.assertEqual(result.returncode, 0, result.stdout)
        self.assertIn("check-no-sleeps: OK", result.stdout)

    def test_each_kind_of_fixed_sleep_in_tests_fails(self) -> None:
        self.tree.write("m/src/test/java/ATest.java", """\
            class ATest {
                void a() throws Exception { Thread.sleep(1_500); }
                void b() throws Exception { TimeUnit.MILLISECONDS.sleep(20); }
                void c() { Uninterruptibles.sleepUninterruptibly(d); }
                // Thread.sleep(1) in a comment does not count
            }
            """)
        self.tree.write("python-worker/tests/test_x.py", "import time\n\ndef test_x():\n    time.sleep(0.3)  # let it start\n")
        self.tree.write("m/src/test/sh/x-test.sh", "run_thing &\nsleep 2\n")
        result = self.check()
        self.assertEqual(result.returncode, 1, result.stdout)
        for expected in ("m/src/test/java/ATest.java:2:", "m/src/test/java/ATest.java:3:", "m/src/test/java/ATest.java:4:",
                         "python-worker/tests/test_x.py:4:", "m/src/test/sh/x-test.sh:2:"):
            self.assertIn(expected, result.stdout)
        self.assertNotIn("ATest.java:5:", result.stdout)

    def test_wall_clock_windows_in_tests_fail_and_lower_bounds_pass(self) -> None:
        self.tree.write("m/src/test/java/ATest.java", """\
            class ATest {
                void a() { assertThat(System.nanoTime() - started).isLessThan(5_000); }
                void b() { assertThat(elapsed).isBetween(Duration.ofMillis(200), Duration.ofMillis(1750)); }
                void c() { assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(d); }
                void d() { assertThat(server.deadlineByMethod.get("Get")).isLessThanOrEqualTo(d); }
            }
            """)
        self.tree.write("python-worker/tests/test_x.py", """\
import time

def test_x():
    assert time.monotonic() - started < 0.5
    assert sorted(timings)[10] < 0.05
    assert result.sleep.slept_ms >= 200
""")
        result = self.check()
        self.assertEqual(result.returncode, 1, result.stdout)
        for expected in ("m/src/test/java/ATest.java:2:", "m/src/test/java/ATest.java:3:",
                         "python-worker/tests/test_x.py:4:", "python-worker/tests/test_x.py:5:"):
            self.assertIn(expected, result.stdout)
        for allowed in ("ATest.java:4:", "ATest.java:5:", "test_x.py:6:"):
            self.assertNotIn(allowed, result.stdout)

    def test_the_allowlist_grants_a_count_and_only_shrinks(self) -> None:
        self.tree.write("m/src/test/java/ATest.java", "class ATest { void a() throws Exception { Thread.sleep(1); Thread.sleep(2); } }\n")
        self.tree.write(".ci/sleep-allowlist", "m/src/test/java/ATest.java 1 one is allowed\n")
        self.assertEqual(self.check().returncode, 1, "two sleeps where one is allowed")
        self.tree.write(".ci/sleep-allowlist", "m/src/test/java/ATest.java 2 a reason\n")
        self.assertEqual(self.check().returncode, 0)
        self.tree.write(".ci/sleep-allowlist", "m/src/test/java/ATest.java 3 a reason\n")
        stale = self.check()
        self.assertEqual(stale.returncode, 1, "an entry above what the file holds is stale")
        self.assertIn("lower the count", stale.stdout)
        self.tree.write(".ci/sleep-allowlist", "m/src/test/java/ATest.java 2\n")
        self.assertEqual(self.check().returncode, 1, "an entry without a reason is refused")

    def test_the_repository_itself_passes(self) -> None:
        result = run("check-no-sleeps")
        self.assertEqual(result.returncode, 0, result.stdout)


class RunDocCommandsTest(unittest.TestCase):
    def setUp(self) -> None:
        self.tree = Tree()
        self.addCleanup(self.tree.close)

    def docs(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run("run-doc-commands", "--root", str(self.tree.root), *args)

    def test_only_marked_blocks_run_and_each_must_succeed(self) -> None:
        self.tree.write("README.md", """\
            # x
            <!-- runnable -->
            ```bash
            echo "$QUANTBOT_GRPC_PORT $QUANTBOT_HTTP_PORT" > /tmp/ports
            test -d "$TMPDIR" && test -s /tmp/ports
            ```

            ```
            false   # not marked: never run
            ```
            """)
        self.tree.write("docs/guide.md", """\
            <!-- runnable -->
            ```
            test "$(cat /tmp/missing-file)" = x   # fails: a private /tmp per block
            ```
            """)
        listed = self.docs("--list")
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertEqual(len(listed.stdout.splitlines()), 2, listed.stdout)
        result = self.docs()
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertIn("ok   README.md:3", result.stdout)
        self.assertIn("FAIL docs/guide.md:2", result.stdout)
        self.assertIn("1 of 2 runnable block(s) passed", result.stdout)
        self.assertEqual(self.docs("--only", "README.md:3").returncode, 0)

    def test_default_ports_are_replaced_by_the_free_ones(self) -> None:
        self.tree.write("README.md", """\
            <!-- runnable -->
            ```
            test "127.0.0.1:50051" = "$QUANTBOT_TARGET"
            test "9464" = "$QUANTBOT_HTTP_PORT"
            test "$QUANTBOT_GRPC_PORT" -ne $((50000 + 51)) && test "$QUANTBOT_HTTP_PORT" -ne $((9000 + 464))
            test "$QUANTBOT_GRPC_PORT" -ne "$QUANTBOT_HTTP_PORT"
            ```
            """)
        result = self.docs()
        self.assertEqual(result.returncode, 0, result.stdout)

    def test_bad_markers_and_no_markers_fail(self) -> None:
        self.tree.write("README.md", "# nothing runnable\n```\ntrue\n```\n")
        self.assertEqual(self.docs().returncode, 1)
        self.tree.write("README.md", "<!-- runnable: sometimes -->\n```\ntrue\n```\n")
        bad = self.docs()
        self.assertEqual(bad.returncode, 1)
        self.assertIn("unknown runnable option 'sometimes'", bad.stderr)
        self.tree.write("README.md", "<!-- runnable -->\n\n```\ntrue\n```\n")
        self.assertIn("followed directly by a fenced block", self.docs().stderr)

    def test_a_block_over_its_timeout_fails(self) -> None:
        self.tree.write("README.md", "<!-- runnable timeout=1 -->\n```\nexec tail -f /dev/null\n```\n")
        result = self.docs()
        self.assertEqual(result.returncode, 1)
        self.assertIn("timed out after 1 s", result.stdout)

    def test_a_daemon_block_without_the_jar_fails_with_the_reason(self) -> None:
        self.tree.write("README.md", "<!-- runnable: daemon -->\n```\ntrue\n```\n")
        result = self.docs()
        self.assertEqual(result.returncode, 1)
        self.assertIn("storage-daemon.jar is missing", result.stdout)


class PostgresSetupTest(unittest.TestCase):
    """bench/postgres-setup's stdout is captured as a path (.ci/run's tools section), so nothing else may reach it.

    The PostgreSQL tools are replaced by fakes on PATH that print the chatter the real ones print on a machine
    whose cluster stopped uncleanly (pg_ctlcluster: "Removed stale pid file."), plus psql notices.
    """

    def setUp(self) -> None:
        self.tree = Tree()
        self.addCleanup(self.tree.close)
        fakes = {
            "pg_lsclusters": 'echo "15  main    5432 down   postgres /var/lib/postgresql/15/main log"',
            # Like pg_ctl: the server gets its own stdout and stderr but inherits every other open descriptor, so a
            # copy of the caller's stdout kept open by the script would hold the caller's capture open.
            "pg_ctlcluster": 'echo "Removed stale pid file."; sleep 60 < /dev/null > /dev/null 2>&1 & echo $! >> "$TMPDIR/servers"',
            "runuser": 'shift 3; echo "runuser: noise"; "$@"',
            "psql": 'cat > /dev/null; echo "NOTICE: psql noise"; echo 1',
            "createdb": 'echo "createdb noise"',
        }
        bin_dir = self.tree.root / "bin"
        for name, body in fakes.items():
            path = self.tree.write(f"bin/{name}", f"#!/usr/bin/env bash\n{body}\n")
            path.chmod(0o755)
        self.env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "TMPDIR": str(self.tree.root)}
        self.addCleanup(self.stop_servers)

    def stop_servers(self) -> None:
        servers = self.tree.root / "servers"
        if servers.exists():
            for pid in servers.read_text(encoding="utf-8").split():
                subprocess.run(["kill", pid], check=False)

    def setup(self, *args: str) -> subprocess.CompletedProcess[str]:
        script = CI.parent / "bench" / "postgres-setup"
        # The timeout is far below the fake server's 60 s: the script must return while its server still runs.
        return subprocess.run(["bash", str(script), *args], capture_output=True, text=True, timeout=20, env=self.env)

    def test_stdout_is_only_the_file_path_whatever_the_tools_print(self) -> None:
        for args, name in ((["--test"], "quantbot-test-postgres.properties"), ([], "quantbot-bench-postgres.properties")):
            result = self.setup(*args)
            self.assertEqual(result.returncode, 0, result.stderr)
            expected = str(self.tree.root / name)
            self.assertEqual(result.stdout, expected + "\n", "stdout must be the path alone")
            self.assertIn("Removed stale pid file.", result.stderr, "the tools' output still reaches the log")
            props = Path(expected).read_text(encoding="utf-8")
            self.assertRegex(props, r"(?m)^url=jdbc:postgresql://127\.0\.0\.1:5432/")
            self.assertRegex(props, r"(?m)^password=[0-9a-f]{48}$")

    def test_the_same_file_keeps_its_password(self) -> None:
        first = self.setup("--test")
        self.assertEqual(first.returncode, 0, first.stderr)
        path = Path(first.stdout.strip())
        before = path.read_text(encoding="utf-8")
        second = self.setup("--test")
        self.assertEqual(second.returncode, 0, second.stderr)
        self.assertEqual(path.read_text(encoding="utf-8"), before)


if __name__ == "__main__":
    unittest.main()
