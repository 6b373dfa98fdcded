using System.Runtime.CompilerServices;
using Drover.Sqlite;

namespace Drover.Storage.Tests;

/// <summary>
/// Makes SQLite's process-wide settings before any test opens a database, as a server does before its
/// store opens one: which test runs first must not decide whether they took.
/// </summary>
internal static class SqliteProcessSettings
{
    [ModuleInitializer]
    internal static void Make() => SqliteLibrary.Configure();
}
