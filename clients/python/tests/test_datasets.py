"""client.groupby over Parquet shards served by real workers, checked against the same sums in Python."""
import csv
import json
import os
import random
import subprocess
import sys
import unittest

from support import PACKAGE, Drover, cli, wait_until

import drover

ROWS = 3000


class GroupByTests(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = Drover()
        random.seed(7)
        cls.rows = [(random.choice(["card", "cash", "dispute"]), random.randint(1, 6), random.randint(300, 8000) / 100)
                    for _ in range(ROWS)]
        source = os.path.join(cls.server.folder, "trips.csv")
        with open(source, "w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["payment_type", "passenger_count", "fare_amount"])
            writer.writerows(cls.rows)
        shards = os.path.join(cls.server.folder, "shards")
        subprocess.run(cli() + ["dataset", "import", source, "--name", "trips", "--shards", "3", "--out", shards],
                       check=True, capture_output=True, timeout=120)
        cls.server.args = ["--data-dir", shards]
        cls.server.start()
        cls.client = cls.server.client()
        wait_until(lambda: any(d["name"] == "trips" for d in cls.client._read("GET", "api/datasets")), 60, "the dataset in the catalogue")

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.server.close()

    def expected(self, minimum_passengers):
        groups = {}
        for payment, passengers, fare in self.rows:
            if passengers > minimum_passengers:
                count, total, sizes = groups.get(payment, (0, 0.0, set()))
                groups[payment] = (count + 1, total + fare, sizes | {passengers})
        return groups

    def test_rows_without_pandas(self):
        rows = self.client.groupby("trips", by=["payment_type"], agg=[("fare_amount", "sum", "total"), "fare_amount:count:rides",
                                   ("passenger_count", "count_distinct", "sizes"), ("fare_amount", "mean")],
                                   where=[("passenger_count", ">", 1)], output="rows")
        expected = self.expected(1)
        self.assertEqual(sorted(expected), sorted(r["payment_type"] for r in rows))
        for row in rows:
            count, total, sizes = expected[row["payment_type"]]
            self.assertEqual(count, row["rides"])
            self.assertAlmostEqual(total, row["total"], places=6)
            self.assertAlmostEqual(total / count, row["fare_amount"], places=6)
            self.assertEqual(len(sizes), row["sizes"])

    def test_one_row_per_shard_without_merge(self):
        rows = self.client.groupby("trips", agg=[("fare_amount", "count", "n")], merge=False, output="rows")
        self.assertEqual(3, len(rows))
        self.assertEqual(ROWS, sum(r["n"] for r in rows))
        self.assertTrue(all("shard" in r for r in rows))

    def test_bad_queries_name_the_field(self):
        with self.assertRaises(drover.ApiError) as raised:
            self.client.groupby("trips", agg=[("no_such_column", "sum")])
        self.assertEqual(400, raised.exception.status)
        self.assertIn("aggregate[0]", raised.exception.errors)
        with self.assertRaises(drover.ApiError) as raised:
            self.client.groupby("nope", agg=[("fare_amount", "sum")])
        self.assertEqual(404, raised.exception.status)
        with self.assertRaises(ValueError):
            self.client.groupby("trips", agg=["fare_amount"])
        with self.assertRaises(ValueError):
            self.client.groupby("trips", agg=[("fare_amount", "sum")], output="xml")

    def test_a_pandas_data_frame_when_pandas_is_installed(self):
        # Run by a Python that has pandas (Debian's python3-pandas), whichever runs these tests.
        script = ("import drover, json, sys\n"
                  "c = drover.Client(sys.argv[1], sys.argv[2])\n"
                  "df = c.groupby('trips', by=['payment_type'], agg=[('fare_amount', 'count', 'rides')])\n"
                  "print(type(df).__name__, json.dumps(dict(zip(df['payment_type'], map(int, df['rides'])))))\n")
        python = next((p for p in (sys.executable, "/usr/bin/python3")
                       if subprocess.run([p, "-c", "import pandas"], capture_output=True).returncode == 0), None)
        self.assertIsNotNone(python, "no python3 with pandas: apt-get install python3-pandas")
        ran = subprocess.run([python, "-c", script, self.server.url, self.server.token], capture_output=True, text=True,
                             env=dict(os.environ, PYTHONPATH=str(PACKAGE)), timeout=120)
        self.assertEqual(0, ran.returncode, ran.stderr)
        kind, counts = ran.stdout.split(" ", 1)
        self.assertEqual("DataFrame", kind)
        expected = {}
        for payment, _, _ in self.rows:
            expected[payment] = expected.get(payment, 0) + 1
        self.assertEqual(expected, json.loads(counts))


if __name__ == "__main__":
    unittest.main()
