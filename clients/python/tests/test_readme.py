"""The README's Python examples, run as written against `drover up` in a fresh folder.

Every ```python block of the README is marked before it: `<!-- python walk-through: NAME -->` (run
here, in order, in one folder where `drover up` runs, so `drover.Client()` finds it) or
`<!-- not run: REASON -->`."""
import os
import re
import subprocess
import sys

from support import PACKAGE, REPO, ServerTestCase

BLOCK = re.compile(r"(<!-- (?P<marker>[^>]*) -->\n)?```python\n(?P<code>.*?)```", re.DOTALL)

# What each walk-through prints when it did what the README says (beyond exiting 0).
SHOWS = {
    "first-steps": ["hello", "['0\\n', '1\\n', '4\\n', '9\\n', '16\\n']", "[1, 2, 3]", "failed 3", "400 {'retry':"],
    "task-database": ["not ended", "{'n': 1}", "{'deleted': 3, 'refused': []}"],
    "scitq": ["succeeded", "0 writes waiting"],
    "follow": ["succeeded"],
    "tracker": ["ProgressCounts(total=99, done=99, tried=99, aborted=0, remaining=0)", "100.00% 99 1"],
}


def blocks():
    with open(REPO / "README.md", encoding="utf-8") as file:
        return [(m.group("marker") or "", m.group("code")) for m in BLOCK.finditer(file.read())]


class ReadmeTests(ServerTestCase):

    def test_every_python_block_is_a_walk_through_or_says_why_it_is_not_run(self):
        found = blocks()
        self.assertGreater(len(found), 0)
        for marker, code in found:
            self.assertTrue(marker.startswith("python walk-through: ") or marker.startswith("not run: "),
                            f"a ```python block in the README is not marked:\n{code[:200]}")

    def test_the_walk_throughs_run_as_written(self):
        walks = [(m.split(": ", 1)[1], code) for m, code in blocks() if m.startswith("python walk-through: ")]
        self.assertEqual(sorted(SHOWS), sorted(name for name, _ in walks))
        env = {k: v for k, v in os.environ.items() if not k.startswith("DROVER_")}
        env["PYTHONPATH"] = str(PACKAGE)
        for name, code in walks:
            with self.subTest(name):
                ran = subprocess.run([sys.executable, "-c", code], cwd=self.server.folder, env=env,
                                     capture_output=True, text=True, timeout=120)
                self.assertEqual(0, ran.returncode, f"{name}:\n{ran.stdout}\n{ran.stderr}")
                for expected in SHOWS[name]:
                    self.assertIn(expected, ran.stdout, f"{name} printed:\n{ran.stdout}")
