namespace Drover.Server.Hosting;

/// <summary>
/// The data directory holds the tokens and (with SQLite) every task's env, args and output: it is
/// its owner's alone (0700), made so if it is not.
/// </summary>
public static class DataDirectory
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public static void Create(string directory)
    {
        Directory.CreateDirectory(directory, OwnerOnly);
        try
        {
            if ((File.GetUnixFileMode(directory) & ~OwnerOnly) != 0) File.SetUnixFileMode(directory, OwnerOnly);
        }
        catch (UnauthorizedAccessException)
        {
            // Someone else's directory that this user may write in: its owner chose its mode.
        }
    }
}
