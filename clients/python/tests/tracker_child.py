"""What the tracker tests (Python's and the .NET interop tests) run as separate Python processes; the
modes mirror tests/Drover.Tracker.Child. Every line printed is printed after the write it names returned,
so a test that kills this process knows which writes must have survived."""
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from drover.tracker import PersistentDict, ProgressTracker  # noqa: E402


def main(mode: str, path: str, *args: str) -> int:
    if mode == "write":
        # write PATH PREFIX COUNT THREADS: COUNT keys (value: the number), from THREADS threads at once.
        prefix, count, threads = args[0], int(args[1]), int(args[2])
        pod = PersistentDict(path)
        lock = threading.Lock()

        def write(first: int) -> None:
            for i in range(first, count, threads):
                pod[f"{prefix}{i}"] = i
                with lock:
                    print(f"ok {prefix}{i}", flush=True)
        workers = [threading.Thread(target=write, args=(t,)) for t in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        pod.close()
    elif mode == "work":
        # work PATH: take keys with try_keys, mark each done, print it.
        with ProgressTracker(path) as tracker:
            for key in tracker.try_keys():
                tracker.mark_done(key)
                print(f"did {key}", flush=True)
    elif mode == "claim":
        # claim PATH: claim one key and hold it until killed.
        with ProgressTracker(path) as tracker:
            for key in tracker.try_keys():
                print(f"holding {key}", flush=True)
                threading.Event().wait()
    elif mode == "increment":
        # increment PATH KEY COUNT: read-modify-write the same key COUNT times.
        with PersistentDict(path) as pod:
            for _ in range(int(args[1])):
                pod.change(args[0], lambda v: (v or 0) + 1)
        print("done", flush=True)
    elif mode == "dump":
        # dump PATH: every entry of the dictionary, then of the tracker, one line each.
        with PersistentDict(path) as pod:
            for key, value in pod.items():
                print(f"entry {key} {value}")
        with ProgressTracker(path) as tracker:
            for entry in tracker.entries():
                print(f"progress {entry.key} done={entry.done} tries={entry.tries} aborted={entry.aborted}")
    else:
        print(f"unknown mode {mode}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
