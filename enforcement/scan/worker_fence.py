"""The source scan behind enforcement/verify-worker-fence (see docs/enforcement.md).

The decision record enforces "PythonEngine may be imported only in the storage layer" with a CI grep
(`verify:python-engine`). This is that check for this repository: it reads the sources of every module,
Java under */src/main/java and Python under python-worker/src (plus every other Python file for the
quantbot_worker import rule), and prints `file:line: rule: explanation` for each use of the worker pool,
the worker protocol or process spawning outside the places allowed to. Comments and the contents of
string literals are not code and are ignored (except that client code may not even name a jdbc:duckdb
URL). Standard library only, Python 3.8+. Exit 0 when clean, 1 on violations, 2 on usage errors.
"""

import argparse
import ast
import os
import re
import sys
from pathlib import Path
from typing import Callable, Dict, Iterable, Iterator, List, Optional, Pattern, Tuple

Report = Callable[[str, int, str, str], None]
Uses = Iterable[Tuple[int, str]]

STORAGE_LAYER = "storage-daemon/src/main/java/io/quantbot/storage/daemon/storage/"
WORKER_POOL = STORAGE_LAYER + "pyworker/"
PROCESS_LAUNCHER = WORKER_POOL + "WorkerProcessLauncher.java"
CLIENT_MODULES = ("client-sdk/src/main/java/", "sweep-runner/src/main/java/")
PYTHON_WORKER = "python-worker/"
PYTHON_WORKER_SOURCES = "python-worker/src/"

RULES = {
    "only-storage-layer-uses-the-worker-pool": (
        f"only the daemon's storage layer ({STORAGE_LAYER}) may use the Python worker pool; go through a port"
    ),
    "only-the-process-launcher-spawns-processes": (
        f"only {PROCESS_LAUNCHER} may start processes; sweeps must never spawn Python per run"
    ),
    "worker-protocol-stays-in-the-pool": (
        f"the worker protocol (io.quantbot.storage.worker.v1) is private to {WORKER_POOL}"
    ),
    "clients-never-depend-on-the-daemon": (
        "client-sdk and sweep-runner see only the generated ports and client-sdk, never the daemon or DuckDB"
    ),
    "python-worker-never-spawns": (
        "the Python worker never starts processes (no subprocess, os.system/popen/exec*/spawn*/fork, multiprocessing)"
    ),
    "only-python-worker-imports-quantbot-worker": (
        "quantbot_worker runs only as a worker started by the daemon's pool; nothing outside python-worker imports it"
    ),
}

# Directories never scanned: build output, virtual environments, caches, and dot-directories (VCS, .venv).
# Inside a src/ tree only caches and dot-directories are skipped: a Java package may be called "build".
PRUNED_DIRECTORIES = {"target", "build", "node_modules", "venv", "site-packages", "__pycache__"}
PRUNED_IN_SOURCES = {"__pycache__"}
# At the root only: the daemon's default data dir (./data), which holds the copy of the worker package the
# pool runs (data/worker-code/), snapshots and the lake; it is runtime state, not source.
PRUNED_AT_ROOT = {"data"}

# ---- Java ---------------------------------------------------------------------------------------

JAVA_POOL = re.compile(r"\bstorage\s*\.\s*pyworker\b")
JAVA_PROCESS_BUILDER = re.compile(r"\bProcessBuilder\b")
JAVA_RUNTIME_EXEC = re.compile(r"\bRuntime\s*\.\s*getRuntime\s*\(\s*\)\s*(?:\.|::)\s*exec\b")
JAVA_RUNTIME_VARIABLE = re.compile(r"\b(\w+)\s*=\s*(?:java\s*\.\s*lang\s*\.\s*)?Runtime\s*\.\s*getRuntime\s*\(\s*\)")
JAVA_WORKER_PROTOCOL = re.compile(r"\bquantbot\s*\.\s*storage\s*\.\s*worker\b")
JAVA_DUCKDB = re.compile(r"\borg\s*\.\s*duckdb\b")
JAVA_DAEMON = re.compile(r"\bio\s*\.\s*quantbot\s*\.\s*storage\s*\.\s*daemon\b")
JAVA_DUCKDB_URL = re.compile(r"jdbc:duckdb", re.IGNORECASE)


def strip_java(source: str) -> Tuple[str, str]:
    """Returns (code, code_with_strings): comments blanked in both, string/char contents blanked in code.

    Blanking keeps every newline and column, so offsets still map to the right line.
    """
    code: List[str] = []
    with_strings: List[str] = []
    i = 0
    n = len(source)

    def blank(text: str) -> str:
        return "".join(ch if ch == "\n" else " " for ch in text)

    while i < n:
        ch = source[i]
        if source.startswith("//", i):
            end = source.find("\n", i)
            end = n if end < 0 else end
            code.append(blank(source[i:end]))
            with_strings.append(blank(source[i:end]))
            i = end
        elif source.startswith("/*", i):
            end = source.find("*/", i + 2)
            end = n if end < 0 else end + 2
            code.append(blank(source[i:end]))
            with_strings.append(blank(source[i:end]))
            i = end
        elif source.startswith('"""', i):
            j = i + 3
            while j < n and not source.startswith('"""', j):
                j += 2 if source[j] == "\\" else 1
            end = min(n, j + 3)
            code.append('"""' + blank(source[i + 3 : end - 3]) + '"""')
            with_strings.append(source[i:end])
            i = end
        elif ch == '"' or ch == "'":
            j = i + 1
            while j < n and source[j] != ch and source[j] != "\n":
                j += 2 if source[j] == "\\" else 1
            end = min(n, j + 1)
            code.append(ch + blank(source[i + 1 : end - 1]) + source[end - 1 : end])
            with_strings.append(source[i:end])
            i = end
        else:
            code.append(ch)
            with_strings.append(ch)
            i += 1
    return "".join(code), "".join(with_strings)


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def scan_java(relative: str, source: str, report: Report) -> None:
    code, with_strings = strip_java(source)

    def each(pattern: Pattern[str], text: str = code) -> Iterator[Tuple[int, str]]:
        for match in pattern.finditer(text):
            yield line_of(text, match.start()), match.group(0)

    if not relative.startswith(STORAGE_LAYER):
        for line, _ in each(JAVA_POOL):
            report(relative, line, "only-storage-layer-uses-the-worker-pool", "uses storage.pyworker")

    if relative != PROCESS_LAUNCHER:
        for line, _ in each(JAVA_PROCESS_BUILDER):
            report(relative, line, "only-the-process-launcher-spawns-processes", "uses ProcessBuilder")
        for line, _ in each(JAVA_RUNTIME_EXEC):
            report(relative, line, "only-the-process-launcher-spawns-processes", "calls Runtime.getRuntime().exec")
        for variable in sorted({m.group(1) for m in JAVA_RUNTIME_VARIABLE.finditer(code)}):
            exec_call = re.compile(r"\b" + re.escape(variable) + r"\s*(?:\.|::)\s*exec\b")
            for line, _ in each(exec_call):
                report(
                    relative,
                    line,
                    "only-the-process-launcher-spawns-processes",
                    "calls Runtime.exec through '" + variable + "'",
                )

    if not relative.startswith(WORKER_POOL):
        for line, _ in each(JAVA_WORKER_PROTOCOL):
            report(relative, line, "worker-protocol-stays-in-the-pool", "uses io.quantbot.storage.worker")

    if relative.startswith(CLIENT_MODULES):
        for line, _ in each(JAVA_DUCKDB):
            report(relative, line, "clients-never-depend-on-the-daemon", "uses org.duckdb")
        for line, _ in each(JAVA_DAEMON):
            report(relative, line, "clients-never-depend-on-the-daemon", "uses io.quantbot.storage.daemon")
        for line, _ in each(JAVA_DUCKDB_URL, with_strings):
            report(relative, line, "clients-never-depend-on-the-daemon", "names a jdbc:duckdb URL")


# ---- Python -------------------------------------------------------------------------------------

SPAWNING_MODULES = ("subprocess", "multiprocessing", "pty")
OS_SPAWNING = re.compile(r"^(?:system|popen|exec\w*|spawn\w*|posix_spawn\w*|fork|forkpty)$")
SPAWNING_NAMES = {
    "concurrent.futures": re.compile(r"^ProcessPoolExecutor$"),
    "asyncio": re.compile(r"^create_subprocess_(?:exec|shell)$"),
    "os": OS_SPAWNING,
}
# Methods that spawn whatever object they are called on (asyncio event loops).
SPAWNING_METHODS = re.compile(r"^subprocess_(?:exec|shell)$")


def is_module(name: str, modules: Tuple[str, ...]) -> bool:
    return any(name == module or name.startswith(module + ".") for module in modules)


def dotted(node: ast.expr, aliases: Dict[str, str]) -> Optional[str]:
    """The dotted name of an attribute chain, with its first name resolved through the imports."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(aliases.get(node.id, node.id))
    return ".".join(reversed(parts))


def called_name(call: ast.Call) -> Optional[str]:
    function = call.func
    if isinstance(function, ast.Name):
        return function.id
    if isinstance(function, ast.Attribute):
        return function.attr
    return None


def dynamic_import_of(call: ast.Call, modules: Tuple[str, ...]) -> Optional[str]:
    """The module named by __import__("x") / importlib.import_module("x"), if it is one of modules."""
    if called_name(call) in ("__import__", "import_module") and call.args:
        first = call.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str) and is_module(first.value, modules):
            return first.value
    return None


def spawning_uses(tree: ast.AST) -> Iterator[Tuple[int, str]]:
    """Yields (line, what) for every way we know of that Python code can start a process."""
    aliases: Dict[str, str] = {}  # local name -> the module (or module member) it stands for
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if is_module(alias.name, SPAWNING_MODULES):
                    yield node.lineno, "imports " + alias.name
                if alias.asname:
                    aliases[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if is_module(node.module, SPAWNING_MODULES):
                yield node.lineno, "imports from " + node.module
                continue
            pattern = SPAWNING_NAMES.get(node.module)
            for alias in node.names:
                if pattern is not None and pattern.match(alias.name):
                    yield node.lineno, "imports " + node.module + "." + alias.name
                # `from concurrent import futures as f` makes `f.ProcessPoolExecutor` concurrent.futures'.
                aliases[alias.asname or alias.name] = node.module + "." + alias.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            name = dotted(node, aliases)
            if name is not None:
                module, _, attribute = name.rpartition(".")
                pattern = SPAWNING_NAMES.get(module)
                if (pattern is not None and pattern.match(attribute)) or is_module(name, SPAWNING_MODULES):
                    yield node.lineno, "uses " + name
                    continue
            if SPAWNING_METHODS.match(node.attr):
                yield node.lineno, "calls ." + node.attr
        elif isinstance(node, ast.Call):
            imported = dynamic_import_of(node, SPAWNING_MODULES)
            if imported:
                yield node.lineno, "imports " + imported + " dynamically"


def worker_imports(tree: ast.AST) -> Iterator[Tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if is_module(alias.name, ("quantbot_worker",)):
                    yield node.lineno, "imports " + alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if is_module(node.module, ("quantbot_worker",)):
                yield node.lineno, "imports from " + node.module
        elif isinstance(node, ast.Call):
            module = dynamic_import_of(node, ("quantbot_worker",))
            if module:
                yield node.lineno, "imports " + module + " dynamically"


PYTHON_SPAWNING_FALLBACK = re.compile(
    r"\b(?:import\s+(?:subprocess|multiprocessing|pty)\b|from\s+(?:subprocess|multiprocessing|pty)\b"
    r"|os\s*\.\s*(?:system|popen|exec\w*|spawn\w*|posix_spawn\w*|fork|forkpty)\b|ProcessPoolExecutor\b"
    r"|create_subprocess_(?:exec|shell)\b)"
)
PYTHON_WORKER_IMPORT_FALLBACK = re.compile(r"^\s*(?:import|from)\s+quantbot_worker\b")


def fallback_lines(source: str, pattern: Pattern[str]) -> Iterator[Tuple[int, str]]:
    """For a file that does not parse: a line scan with # comments cut off (strings are not understood)."""
    for number, line in enumerate(source.splitlines(), start=1):
        code = line.split("#", 1)[0]
        match = pattern.search(code)
        if match:
            yield number, match.group(0).strip()


def scan_python(relative: str, source: str, report: Report, warn: Callable[[str], None]) -> None:
    in_worker_sources = relative.startswith(PYTHON_WORKER_SOURCES)
    outside_worker = not relative.startswith(PYTHON_WORKER)
    if not in_worker_sources and not outside_worker:
        return
    tree: Optional[ast.AST]
    try:
        tree = ast.parse(source, filename=relative)
    except (SyntaxError, ValueError) as error:
        warn(relative + ": does not parse as Python (" + str(error) + "); scanned line by line")
        tree = None
    if in_worker_sources:
        spawns: Uses = spawning_uses(tree) if tree else fallback_lines(source, PYTHON_SPAWNING_FALLBACK)
        for line, what in sorted(set(spawns)):
            report(relative, line, "python-worker-never-spawns", what)
    if outside_worker:
        imports: Uses = worker_imports(tree) if tree else fallback_lines(source, PYTHON_WORKER_IMPORT_FALLBACK)
        for line, what in sorted(set(imports)):
            report(relative, line, "only-python-worker-imports-quantbot-worker", what)


# ---- Driver -------------------------------------------------------------------------------------


def source_files(root: Path) -> Iterator[Tuple[str, str, Path]]:
    for directory, subdirectories, files in os.walk(root):
        parts = Path(directory).relative_to(root).parts
        pruned = PRUNED_IN_SOURCES if "src" in parts else PRUNED_DIRECTORIES | (PRUNED_AT_ROOT if not parts else set())
        subdirectories[:] = sorted(d for d in subdirectories if d not in pruned and not d.startswith("."))
        for file in sorted(files):
            path = Path(directory, file)
            relative = path.relative_to(root).as_posix()
            if file.endswith(".java") and "/src/main/java/" in "/" + relative:
                yield "java", relative, path
            elif file.endswith(".py"):
                yield "python", relative, path


def main(argv: List[str]) -> int:
    default_root = Path(__file__).resolve().parent.parent.parent
    parser = argparse.ArgumentParser(
        prog="verify-worker-fence",
        description="Fails when the Python worker pool, the worker protocol or process spawning is used "
        "outside the places allowed to (docs/enforcement.md).",
    )
    parser.add_argument(
        "--root",
        default=str(default_root),
        help="repository root to scan (default: the repository holding this script, %(default)s)",
    )
    parser.add_argument("--list-rules", action="store_true", help="print the rules and exit")
    arguments = parser.parse_args(argv)

    if arguments.list_rules:
        for name, explanation in RULES.items():
            print(name + ": " + explanation)
        return 0

    root = Path(arguments.root).resolve()
    if not root.is_dir():
        print("verify-worker-fence: --root " + arguments.root + " is not a directory", file=sys.stderr)
        return 2

    violations: List[Tuple[str, int, str, str]] = []
    counts = {"java": 0, "python": 0}

    def report(relative: str, line: int, rule: str, what: str) -> None:
        violations.append((relative, line, rule, what + "; " + RULES[rule]))

    def warn(message: str) -> None:
        print("verify-worker-fence: warning: " + message, file=sys.stderr)

    for kind, relative, path in source_files(root):
        try:
            source = path.read_text(encoding="utf-8", errors="replace")
        except OSError as error:
            print("verify-worker-fence: cannot read " + relative + ": " + str(error), file=sys.stderr)
            return 2
        counts[kind] += 1
        if kind == "java":
            scan_java(relative, source, report)
        else:
            scan_python(relative, source, report, warn)

    if counts["java"] == 0 and counts["python"] == 0:
        print(
            "verify-worker-fence: no Java or Python sources under " + str(root) + "; is --root right?", file=sys.stderr
        )
        return 2

    for relative, line, rule, explanation in sorted(set(violations)):
        print(relative + ":" + str(line) + ": " + rule + ": " + explanation)
    summary = f"{counts['java']} Java and {counts['python']} Python files, {len(RULES)} rules"
    if violations:
        print(f"verify-worker-fence: FAILED: {len(set(violations))} violation(s) in {summary}")
        return 1
    print("verify-worker-fence: OK: 0 violations in " + summary)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
