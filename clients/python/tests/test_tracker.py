"""drover.tracker: tastypy's dictionaries on Drover's tracker file, with real processes killed with SIGKILL.
(The .NET interop tests, Python and .NET on one file at once, are in tests/Drover.Tracker.Tests.)"""
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest

from support import HERE

from drover.tracker import PersistentDict, ProgressCounts, ProgressTracker, TrackerFileError

CHILD = str(HERE / "tracker_child.py")


def child(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, CHILD, *args], stdout=subprocess.PIPE, text=True)


class TrackerTests(unittest.TestCase):

    def setUp(self):
        self.folder = tempfile.mkdtemp(prefix="drover-tracker-")
        self.path = os.path.join(self.folder, "job.tracker")
        self.addCleanup(shutil.rmtree, self.folder, True)

    def test_persistent_dict_is_a_dict_that_keeps_insertion_order(self):
        with PersistentDict(self.path) as pod:
            pod["b"] = {"title": "B", "links": [1, 2]}
            pod["a"] = 1
            pod.update({"c": "ç", "d": None})
            pod["b"] = {"title": "B again"}  # an update keeps its place
            self.assertEqual(["b", "a", "c", "d"], list(pod))
            self.assertEqual([("b", {"title": "B again"}), ("a", 1), ("c", "ç"), ("d", None)], list(pod.items()))
            self.assertEqual(4, len(pod))
            self.assertIn("d", pod)
            self.assertNotIn("e", pod)
            self.assertIsNone(pod.get("e"))
            del pod["a"]
            with self.assertRaises(KeyError):
                pod["a"]
            with self.assertRaises(KeyError):
                del pod["a"]
            with self.assertRaises(TypeError):
                pod[1] = "keys are strings"
            self.assertEqual(3, pod.change("n", lambda v: v + 3, default=0))
            self.assertEqual(3, pod["n"])
        with PersistentDict(self.path) as again:
            self.assertEqual({"b": {"title": "B again"}, "c": "ç", "d": None, "n": 3}, dict(again.items()))
        with PersistentDict(self.path) as pod:
            pod.update((f"k{i}", i) for i in range(2500))  # iterated in pages of 1000
            self.assertEqual(2504, len(list(pod)))
            self.assertEqual(2499, list(pod.values())[-1])

    def test_every_acknowledged_write_survives_sigkill(self):
        writer = child("write", self.path, "k", "100000", "4")
        acknowledged = []
        for line in writer.stdout:
            acknowledged.append(line.split()[1])
            if len(acknowledged) == 300:
                os.kill(writer.pid, signal.SIGKILL)
                break
        writer.wait()
        acknowledged.extend(line.split()[1] for line in writer.stdout.read().splitlines())
        writer.stdout.close()
        with PersistentDict(self.path) as pod:
            missing = [key for key in acknowledged if key not in pod]
            self.assertEqual([], missing)
            self.assertEqual(int(acknowledged[0][1:]), pod[acknowledged[0]])

    def test_several_processes_update_one_key_without_losing_an_update(self):
        runs = [child("increment", self.path, "n", "150") for _ in range(4)]
        for run in runs:
            self.assertEqual("done", run.communicate(timeout=120)[0].strip())
        with PersistentDict(self.path) as pod:
            self.assertEqual(600, pod["n"])

    def test_progress_tracker_tastypy_style(self):
        with ProgressTracker(self.path, max_tries=2) as tracker:
            tracker.add("a", data={"url": "/a"})
            with self.assertRaises(KeyError):
                tracker.add("a")
            self.assertFalse(tracker.add_if_absent("a"))
            self.assertEqual(3, tracker.add_many(["b", "c", "d", "a"]))
            tracker.abort("d")
            tries = []
            for _ in range(3):  # "c" fails every time: two tries, then it is no longer handed out
                for key in tracker.try_keys():
                    tries.append(key)
                    if key != "c":
                        tracker.mark_done(key)
            self.assertEqual(["a", "b", "c", "c"], tries)
            self.assertEqual(ProgressCounts(total=4, done=2, tried=3, aborted=1, remaining=1), tracker.counts())
            self.assertEqual("50.00%", tracker.percent_done())
            self.assertEqual({"url": "/a"}, tracker.get_data("a"))
            self.assertTrue(tracker.done("a"))
            self.assertEqual(2, tracker.tries("c"))
            self.assertTrue(tracker["d"].aborted)
            tracker.reset_tries("c")
            tracker.set_data("c", [1])
            self.assertEqual([("c", [1])], list(tracker.try_items()))
            with self.assertRaises(KeyError):
                tracker.mark_done("nope")
            self.assertEqual(["a", "b", "c", "d"], list(tracker))

    def test_processes_at_once_do_each_key_exactly_once(self):
        with ProgressTracker(self.path) as tracker:
            tracker.add_many(f"key{i}" for i in range(1500))
        workers = [child("work", self.path) for _ in range(3)]
        done = []
        for worker in workers:
            done.extend(line.split()[1] for line in worker.communicate(timeout=180)[0].splitlines())
        self.assertEqual(1500, len(done))
        self.assertEqual(1500, len(set(done)))
        with ProgressTracker(self.path) as tracker:
            self.assertEqual(1500, tracker.num_done())

    def test_a_claim_ends_when_its_process_is_killed(self):
        with ProgressTracker(self.path) as tracker:
            tracker.add_many(["first", "second"])
        holder = child("claim", self.path)
        self.assertEqual("holding first", holder.stdout.readline().strip())
        with ProgressTracker(self.path) as tracker:
            self.assertEqual(["second"], list(tracker.try_keys()))  # "first" is held by a live process
            holder.kill()
            holder.wait()
            holder.stdout.close()
            self.assertEqual(["first", "second"], list(tracker.try_keys()))

    def test_files_that_are_not_trackers_are_refused(self):
        with open(self.path, "w") as file:
            file.write("not a database at all, just text that is long enough to be a header " * 20)
        with self.assertRaises(TrackerFileError):
            PersistentDict(self.path)
        other = os.path.join(self.folder, "other.db")
        with sqlite3.connect(other) as db:
            db.execute("CREATE TABLE t (x)")
        with self.assertRaises(TrackerFileError) as raised:
            ProgressTracker(other)
        self.assertIn("not a Drover tracker", str(raised.exception))
        with self.assertRaises(TrackerFileError):
            PersistentDict(self.folder)
        with self.assertRaises(ValueError):
            ProgressTracker(os.path.join(self.folder, "x"), max_tries=0)


if __name__ == "__main__":
    unittest.main()
