// What the tracker tests run as separate processes. Every line printed is printed after the write
// it names has returned, so a test that kills this process knows which writes must have survived.
using Drover.Tracker;

var (mode, path) = (args[0], args[1]);
switch (mode)
{
    case "write":
        // write PATH PREFIX COUNT THREADS: COUNT keys, from THREADS threads at once (group commits).
        using (var pod = PersistentDictionary.Open<int>(path))
        {
            var (prefix, count, threads) = (args[2], int.Parse(args[3]), int.Parse(args[4]));
            var output = Console.Out;
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, thread =>
            {
                for (var i = thread; i < count; i += threads)
                {
                    pod[$"{prefix}{i}"] = i;
                    lock (output) output.WriteLine($"ok {prefix}{i}");
                }
            });
        }
        break;
    case "work":
        // work PATH: take keys with TryKeys, mark each done, print it.
        using (var tracker = ProgressTracker.Open(path))
        {
            foreach (var key in tracker.TryKeys())
            {
                tracker.MarkDone(key);
                Console.WriteLine($"did {key}");
            }
        }
        break;
    case "claim":
        // claim PATH: claim one key and hold it until killed.
        using (var tracker = ProgressTracker.Open(path))
        {
            foreach (var key in tracker.TryKeys())
            {
                Console.WriteLine($"holding {key}");
                Thread.Sleep(Timeout.Infinite);
            }
        }
        break;
    case "increment":
        // increment PATH KEY COUNT: read-modify-write the same key COUNT times.
        using (var pod = PersistentDictionary.Open<int>(path))
        {
            for (var i = 0; i < int.Parse(args[3]); i++) pod.Update(args[2], v => v + 1);
        }
        Console.WriteLine("done");
        break;
    default:
        Console.Error.WriteLine($"unknown mode {mode}");
        return 2;
}
return 0;
