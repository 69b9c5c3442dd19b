"""A second Elasticsearch that tests may stop and start (the shared one is never stopped).

One instance serves the whole session (each start costs about 30 s): tests/conftest.py begins
starting it in the background as soon as collection shows a test that asks for
`own_elasticsearch` (the suite runs other tests meanwhile), waits for it when that test comes,
and gives each test an index prefix of its own. It runs scripts/elasticsearch with its own
ES_ROOT and ES_PORT.
"""

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "elasticsearch"
M2 = Path(os.environ.get("M2_REPO", Path.home() / ".m2" / "repository"))
ZIP = M2 / "org/elasticsearch/distribution/integ-test-zip/elasticsearch/8.19.7"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnElasticsearch:
    """A second instance, in its own folder (readable by the unprivileged user it runs as)."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="mrejesho-es-own-", dir="/tmp"))
        self.root.chmod(0o755)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

        self.starting: subprocess.Popen | None = None

    def _command(self, action: str) -> dict:
        env = {**os.environ, "ES_ROOT": str(self.root), "ES_PORT": str(self.port)}
        env.setdefault("ES_START_TIMEOUT", "100")
        # The JIT's first tier only: a start (and each restart a test makes) takes about half
        # the time here; the few documents the tests send never need the optimising compiler.
        env.setdefault("ES_EXTRA_JAVA_OPTS", "-XX:TieredStopAtLevel=1")
        return {"args": ["bash", str(SCRIPT), action], "env": env, "text": True}

    def start_in_background(self) -> None:
        """Begin `start` without waiting; run("start") later waits for it."""
        self.starting = subprocess.Popen(
            **self._command("start"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )

    def run(self, action: str) -> None:
        """start (waits for health; quick when it already runs), stop or status."""
        if self.starting is not None:  # the background start first, whatever comes next
            starting, self.starting = self.starting, None
            output, _ = starting.communicate(timeout=150)
            if action != "stop":
                assert starting.returncode == 0, f"elasticsearch start failed:\n{output}"
        done = subprocess.run(**self._command(action), capture_output=True, timeout=150)
        assert done.returncode == 0, f"elasticsearch {action} failed:\n{done.stdout}{done.stderr}"

    def remove(self) -> None:
        try:
            self.run("stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
