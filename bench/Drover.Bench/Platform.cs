using System.Runtime.Versioning;

// The bench reads /proc (CPU and memory of the processes it starts) and finds its servers as the CLI does.
[assembly: UnsupportedOSPlatform("windows")]
