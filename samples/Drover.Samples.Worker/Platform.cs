using System.Runtime.Versioning;

// Drover runs tasks as POSIX process groups and keeps its secrets with POSIX file modes.
[assembly: UnsupportedOSPlatform("windows")]
