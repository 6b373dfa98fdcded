"""The resilient client while the server stops and starts again: reads retry, writes wait in the outbox
(in memory or in a file another process sends), and the event stream reconnects without missing a change."""
import os
import subprocess
import sys
import threading
import time
import unittest

from support import PACKAGE, Drover, wait_until

import drover


class ResilienceTests(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = Drover().start()

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def setUp(self):
        if self.server.process is None:
            self.server.start()

    def test_writes_wait_in_the_outbox_in_order_while_the_server_is_down(self):
        with self.server.client(put_timeout=0.5, get_timeout=90) as client:
            self.server.stop()
            started = time.monotonic()
            task = client.submit("echo delivered later", name="outboxed")
            doomed = client.submit("sleep 60", name="canceled-later")
            doomed.cancel()  # must not overtake its create
            self.assertLess(time.monotonic() - started, 10)
            self.assertFalse(task.delivered)
            self.assertEqual(3, client.undelivered)
            self.assertEqual(36, len(task.id))

            self.server.start()
            self.assertEqual("delivered later\n", task.result(timeout=60))
            self.assertEqual("canceled", doomed.wait(60)["status"])
            self.assertTrue(client.flush(10))
            self.assertEqual(0, client.undelivered)
            self.assertEqual([], client.refused)
            self.assertEqual(1, client.count({"name": "outboxed"}))  # delivered once, not once per try

    def test_reads_retry_until_the_server_is_back(self):
        with self.server.client(get_timeout=90) as client:
            known = client.submit("true")
            known.wait(60)
            self.server.stop()
            restart = threading.Timer(1.0, self.server.start)
            restart.start()
            try:
                self.assertEqual("succeeded", client.get(known.id)["status"])  # waits for the server, then reads
            finally:
                restart.join()

    def test_reads_give_up_after_get_timeout(self):
        with self.server.client(get_timeout=1.5) as client:
            self.server.stop()
            started = time.monotonic()
            with self.assertRaises(drover.Unavailable):
                client.count()
            self.assertLess(time.monotonic() - started, 15)
        with self.server.client(resilient=False) as fail_fast:
            with self.assertRaises(drover.Unavailable):
                fail_fast.submit("true")
            self.assertEqual(0, fail_fast.undelivered)

    def test_an_outbox_file_outlives_its_process(self):
        outbox = os.path.join(self.server.folder, "outbox.jsonl")
        self.server.stop()
        script = (f"import drover\n"
                  f"c = drover.Client({self.server.url!r}, {self.server.token!r}, put_timeout=0.3, outbox={outbox!r})\n"
                  f"tasks = [c.submit(['echo', str(i)], name='from-file', batch='outbox-file') for i in range(3)]\n"
                  f"print(' '.join(t.id for t in tasks))\n")
        ran = subprocess.run([sys.executable, "-c", script], env=dict(os.environ, PYTHONPATH=str(PACKAGE)),
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(0, ran.returncode, ran.stderr)
        ids = ran.stdout.split()
        self.assertEqual(3, len(ids))

        self.server.start()
        with self.server.client(outbox=outbox) as client:  # sends what the other process left
            self.assertTrue(client.flush(60))
            records = client.join(ids, timeout=60)
            self.assertEqual(["0\n", "1\n", "2\n"], [client.get(r["id"])["stdout"] for r in records])
            self.assertEqual(ids, [r["id"] for r in client.db_query({"batch": "outbox-file"}, sort="submitted")])
        self.assertEqual(0, os.path.getsize(outbox))

    def test_follow_a_group_through_a_restart(self):
        with self.server.client(get_timeout=90, put_timeout=0.5) as client:
            stream = client.follow(group="alice")
            seen = {}
            messages = []

            def read():
                for message in stream:
                    messages.append(message)
                    for record in message.get("add", []) + message.get("update", []):
                        seen[record["id"]] = record["status"]

            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            time.sleep(0.5)
            mine = client.submit("echo one", group="alice")
            theirs = client.submit("echo two", group="bob")
            mine.wait(60)
            theirs.wait(60)
            wait_until(lambda: seen.get(mine.id) == "succeeded", 30, "the first task's end in the stream")
            self.assertNotIn(theirs.id, seen)
            self.assertTrue(any("add" in m for m in messages))

            self.server.stop()
            later = client.submit("echo while away", group="alice")  # into the outbox
            self.server.start()
            self.assertEqual("succeeded", later.wait(60)["status"])
            wait_until(lambda: seen.get(later.id) == "succeeded", 60,
                       f"the task made while the stream was down ({later.id}) in {[(list(m), len(next(iter(m.values()))) if isinstance(next(iter(m.values())), list) else 1) for m in messages]}")
            self.assertIn({"resync": True}, messages)
            stream.close()
            reader.join(10)
            self.assertFalse(reader.is_alive())


if __name__ == "__main__":
    unittest.main()


class RateLimitTests(unittest.TestCase):
    """A token past its rate gets 429 with Retry-After: a resilient client waits and goes on, a fail-fast one is told."""

    def test_a_resilient_client_waits_out_a_429_and_a_fail_fast_one_gets_it(self):
        server = Drover("--rate-limit", "2", workers=0).start()
        try:
            with server.client(resilient=False) as fail_fast:
                with self.assertRaises(drover.ApiError) as refused:
                    for _ in range(20):
                        fail_fast.workers()
                self.assertEqual(429, refused.exception.status)
            # Twice the bucket and more: some of these are refused, waited out, and sent again.
            with server.client(get_timeout=60) as client:
                for _ in range(12):
                    self.assertEqual([], client.workers())
                # Writes too, and through the outbox (a 429 is not a refusal that drops the write).
                for i in range(8):
                    client.submit(f"echo {i}", batch="limited")
                self.assertEqual(8, client.count({"batch": "limited"}))
        finally:
            server.close()
