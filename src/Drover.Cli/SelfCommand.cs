using System.Diagnostics;
using System.Reflection;

namespace Drover.Cli;

/// <summary>Starts this same program again with other arguments (how <c>drover up</c> starts its workers).</summary>
internal static class SelfCommand
{
    /// <summary>The program and first arguments that run this program again (<c>dotnet drover.dll</c>, or the apphost).</summary>
    public static IEnumerable<string> Argv()
    {
        var start = StartInfo([]);
        return [start.FileName, .. start.ArgumentList];
    }

    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var processPath = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot tell which program is running.");
        var start = new ProcessStartInfo { FileName = processPath, UseShellExecute = false };
        // Run as "dotnet drover.dll": the dll comes first.
        if (Path.GetFileNameWithoutExtension(processPath) == "dotnet")
            start.ArgumentList.Add(Assembly.GetEntryAssembly()!.Location);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        return start;
    }
}
