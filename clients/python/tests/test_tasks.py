"""Submit, wait, results, join with retries, map, the task database, resubmit and purge — on a real server."""
import datetime as dt
import gzip
import os
import subprocess
import sys
import threading

from support import PACKAGE, ServerTestCase

import drover


class TaskTests(ServerTestCase):

    def test_submit_wait_and_result(self):
        task = self.client.submit("echo hello", name="greeting", batch="py-basics")
        self.assertEqual(36, len(task.id))
        self.assertEqual("hello\n", task.result(timeout=60))
        self.assertEqual("succeeded", task.status)
        self.assertEqual("greeting", task["name"])
        self.assertIsInstance(task["completed"], dt.datetime)
        self.assertEqual(dt.timezone.utc, task["completed"].tzinfo)

        shell = self.client.submit("echo $((6 * 7)) | tr 4 x", shell=True, env={"UNUSED": "1"})
        self.assertEqual("x2\n", shell.result(60))

        ran = self.client.run(["sh", "-c", "echo one; exit 0"])
        self.assertEqual("succeeded", ran["status"])

    def test_following_a_task_that_already_ended_starts_with_its_record(self):
        task = self.client.submit("echo early", group="py-follow")
        self.assertEqual("early\n", task.result(timeout=60))
        stream = self.client.follow(tasks=[task])
        # Without its first record, nothing more would come for an ended task: close it after a while.
        closer = threading.Timer(20, stream.close)
        closer.start()
        try:
            first = next(iter(stream))
        finally:
            closer.cancel()
            stream.close()
        self.assertEqual([(task.id, "succeeded")], [(r["id"], r["status"]) for r in first["update"]])

    def test_handler_result_and_map(self):
        self.assertEqual({"a": [1, 2]}, self.client.submit(handler="echo", args={"a": [1, 2]}).result(60))
        self.assertEqual([0, 1, "two", {"three": 3}, None], self.client.map("echo", [0, 1, "two", {"three": 3}, None], timeout=60))
        self.assertEqual(list(range(300)), self.client.map("echo", range(300), batch="py-map", timeout=120))

    def test_failure_raises_with_the_record(self):
        task = self.client.submit(["sh", "-c", "echo bad >&2; exit 3"])
        with self.assertRaises(drover.TaskFailed) as raised:
            task.result(60)
        self.assertEqual("failed", raised.exception.task["status"])
        self.assertEqual(3, raised.exception.task["exit_code"])
        self.assertIn("bad", raised.exception.task["stderr"])

    def test_join_retries_failed_tasks_scitq_style(self):
        marker = os.path.join(self.server.folder, "second-try")
        # Fails the first time, succeeds when tried again.
        flaky = self.client.submit(f"test -e {marker} || (touch {marker}; exit 1)", shell=True)
        good = self.client.submit("true")
        records = self.client.join([flaky, good], retry=2, timeout=60)
        self.assertEqual(["succeeded", "succeeded"], [r["status"] for r in records])
        self.assertNotEqual(flaky.id, records[0]["id"])  # the resubmitted attempt
        self.assertEqual(flaky.id, records[0]["resubmitted_from"])
        self.assertEqual(good.id, records[1]["id"])

        hopeless = self.client.submit("false")
        self.assertEqual("failed", self.client.join([hopeless], retry=1)[0]["status"])
        self.assertEqual(2, self.client.count({"$or": [{"id": hopeless.id}, {"resubmitted_from": hopeless.id}]}))

    def test_wait_timeout(self):
        slow = self.client.submit("sleep 30")
        with self.assertRaises(TimeoutError):
            slow.wait(timeout=0.5)
        answer = self.client.wait([slow], timeout=0.2)
        self.assertEqual([slow.id], answer["pending"])
        slow.cancel()
        self.assertEqual("canceled", slow.wait(30)["status"])

    def test_db_query_converts_datetimes_both_ways(self):
        before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=5)
        tasks = self.client.submit_many([{"command": ["echo", str(i)], "batch": "py-query", "name": f"q{i}"} for i in range(5)])
        self.client.join(tasks, timeout=60)
        rows = self.client.db_query({"batch": "py-query", "submitted": {"$gte": before}}, keys=["id", "name", "started"], sort="name")
        self.assertEqual([f"q{i}" for i in range(5)], [r["name"] for r in rows])
        self.assertEqual({"id", "name", "started"}, set(rows[0]))
        self.assertTrue(all(isinstance(r["started"], dt.datetime) and r["started"] >= before for r in rows))
        # A naive datetime is local time; a later bound finds none.
        self.assertEqual(0, self.client.db_query({"batch": "py-query", "submitted": {"$gt": dt.datetime.now() + dt.timedelta(hours=1)}}, count=True))
        self.assertEqual(5, self.client.count({"batch": "py-query", "completed": {"$ne": None}}))
        self.assertEqual(["q4", "q3"], [r["name"] for r in self.client.db_query({"batch": "py-query"}, sort=["-name"], limit=2)])
        self.assertEqual(["q2"], [r["name"] for r in self.client.db_query({"batch": "py-query"}, sort="name", skip=2, limit=1)])
        self.assertEqual([], self.client.db_query({"batch": "py-query", "completed": None}))

    def test_submit_many_answers_with_ids_alone_and_its_handles_load_their_records(self):
        chosen = drover.uuid7()
        tasks = self.client.submit_many([{"command": "true", "batch": "py-minimal", "id": chosen}, {"command": "true", "batch": "py-minimal"}])
        self.assertEqual(chosen, tasks[0].id)
        self.assertEqual(2, len({t.id for t in tasks}))
        self.assertEqual("py-minimal", tasks[1].record["batch"])  # loaded when first read
        self.assertEqual(["succeeded", "succeeded"], [r["status"] for r in self.client.join(tasks, timeout=60)])

    def test_join_on_more_ids_than_one_wait_names_waits_for_the_rest_in_turn(self):
        from drover import client as client_module
        kept = client_module._WAIT_IDS
        client_module._WAIT_IDS = 3
        try:
            slow = self.client.submit(["sleep", "1"], batch="py-chunks")
            quick = self.client.submit_many([{"command": ["echo", str(i)], "batch": "py-chunks"} for i in range(7)])
            records = self.client.join([slow] + quick, timeout=60)
        finally:
            client_module._WAIT_IDS = kept
        self.assertEqual([slow.id] + [t.id for t in quick], [r["id"] for r in records])
        self.assertEqual(["succeeded"] * 8, [r["status"] for r in records])

    def test_get_result_of_a_task_someone_else_submitted(self):
        with drover.Client(self.server.url, self.server.token) as other:
            task_id = other.submit(handler="echo", args="theirs").id
        self.assertEqual("theirs", self.client.get_result(task_id, timeout=60))
        self.assertIsNone(self.client.get(drover.uuid7()))

    def test_resubmit_and_purge(self):
        tasks = self.client.submit_many([{"command": "false", "batch": "py-purge"}, {"command": "true", "batch": "py-purge"}])
        self.client.join(tasks, timeout=60)
        again = self.client.resubmit({"batch": "py-purge", "status": "failed"})
        self.assertEqual(1, len(again))
        self.assertEqual("failed", again[0].wait(60)["status"])
        by_id = self.client.resubmit([tasks[1]])
        self.assertEqual("succeeded", by_id[0].wait(60)["status"])
        running = self.client.submit("sleep 30", batch="py-purge")
        purged = self.client.purge({"batch": "py-purge"})
        self.assertEqual(4, purged["deleted"])
        self.assertEqual([running.id], purged["refused"])
        running.cancel()

    def test_requires_priority_delay_and_update(self):
        first = self.client.submit("true", name="first")
        second = self.client.submit("true", requires=[first], priority=5, delay=dt.timedelta(seconds=0.2))
        self.assertEqual("succeeded", second.wait(60)["status"])
        self.assertLess(first.wait()["completed"], second.wait()["started"])
        held = self.client.submit("true", run_after=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))
        self.assertEqual("pending", held.refresh()["status"])
        self.assertEqual("renamed", self.client.update(held, name="renamed")["name"])
        held.cancel()

    def test_inputs_and_outputs_are_staged(self):
        folder = os.path.join(self.server.folder, "staging")
        os.makedirs(os.path.join(folder, "results"))
        with gzip.open(os.path.join(folder, "fruit.txt.gz"), "wt") as file:
            file.write("cherry\napple\nbanana\n")
        task = self.client.submit("sort $INPUT/fruit.txt > $OUTPUT/sorted.txt", shell=True,
                                  input=f"file://{folder}/fruit.txt.gz|gunzip", output=f"file://{folder}/results/")
        self.assertEqual("succeeded", task.wait(60)["status"])
        with open(os.path.join(folder, "results", "sorted.txt")) as file:
            self.assertEqual("apple\nbanana\ncherry\n", file.read())
        self.assertGreater(task.refresh()["transfer"]["bytes_in"], 0)

    def test_bad_input_names_the_field_and_changes_nothing(self):
        before = self.client.count()
        with self.assertRaises(drover.ApiError) as raised:
            self.client.submit("")
        self.assertEqual(400, raised.exception.status)
        self.assertIn("command", raised.exception.errors)
        with self.assertRaises(drover.ApiError) as raised:
            self.client.submit_many([{"command": "true"}, {"command": "true", "retry": -1}])
        self.assertIn("[1].retry", raised.exception.errors)
        with self.assertRaises(drover.ApiError) as raised:
            self.client.db_query({"status": {"$bogus": 1}})
        self.assertEqual(400, raised.exception.status)
        with self.assertRaises(TypeError):
            self.client.submit("true", retires=2)
        self.assertEqual(before, self.client.count())
        with self.assertRaises(drover.ApiError) as raised, drover.Client(self.server.url, "wrong-token") as stranger:
            stranger.count()
        self.assertEqual(401, raised.exception.status)

    def test_status_from_inside_a_task(self):
        script = "import drover; drover.status('step 3', progress=0.4)"
        task = self.client.submit([sys.executable, "-c", script], env={"PYTHONPATH": str(PACKAGE)})
        record = task.wait(60)
        self.assertEqual("succeeded", record["status"], task.refresh().get("stderr"))
        self.assertEqual("step 3", task.refresh()["status_message"])
        self.assertEqual(0.4, task["progress"])
        env = {k: v for k, v in os.environ.items() if not k.startswith("DROVER_")}
        outside = subprocess.run([sys.executable, "-c", "import drover; drover.status('x')"], env=dict(env, PYTHONPATH=str(PACKAGE)),
                                 capture_output=True, text=True, timeout=60)
        self.assertNotEqual(0, outside.returncode)
        self.assertIn("runs inside a task", outside.stderr)
        with self.assertRaises(ValueError):
            drover.status("x", progress=1.5, task=task.id, url=self.server.url, token="unused")

    def test_client_finds_the_server_like_the_cli(self):
        code = ("import drover; c = drover.Client(); print(c.url); print(c.submit('echo found').result(60), end='')")
        env = {k: v for k, v in os.environ.items() if not k.startswith("DROVER_")}
        found = subprocess.run([sys.executable, "-c", code], cwd=self.server.folder, env=dict(env, PYTHONPATH=str(PACKAGE)),
                               capture_output=True, text=True, timeout=60)
        self.assertEqual(0, found.returncode, found.stderr)
        self.assertEqual(f"{self.server.url}\nfound\n", found.stdout)
        by_env = subprocess.run([sys.executable, "-c", "import drover; print(drover.Client().count())"], cwd="/",
                                env=dict(env, PYTHONPATH=str(PACKAGE), DROVER_URL=self.server.url, DROVER_TOKEN=self.server.token),
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(0, by_env.returncode, by_env.stderr)
        nowhere = subprocess.run([sys.executable, "-c", "import drover; drover.Client()"], cwd="/",
                                 env=dict(env, PYTHONPATH=str(PACKAGE)), capture_output=True, text=True, timeout=60)
        self.assertIn("no token", nowhere.stderr)
