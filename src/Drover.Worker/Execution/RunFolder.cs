namespace Drover.Worker.Execution;

/// <summary>
/// The folder of one run of a task with data: <c>input/ output/ tmp/ resource/</c> under the run's
/// own working directory, named to the task by <c>$INPUT $OUTPUT $TMP $RESOURCE</c>.
/// </summary>
public sealed record RunFolder(string Root)
{
    public string Input => Path.Combine(Root, "input");
    public string Output => Path.Combine(Root, "output");
    public string Tmp => Path.Combine(Root, "tmp");
    public string Resource => Path.Combine(Root, "resource");

    public static RunFolder Create(string root)
    {
        var folder = new RunFolder(Path.GetFullPath(root));
        foreach (var path in new[] { folder.Input, folder.Output, folder.Tmp, folder.Resource }) Directory.CreateDirectory(path);
        return folder;
    }

    /// <summary>The variables that name the folders, as a command sees them.</summary>
    public IEnumerable<(string Name, string Path)> Variables =>
        // TMPDIR too: temporary files of the tools a task runs land in its own folder, and go with it.
        [("INPUT", Input), ("OUTPUT", Output), ("TMP", Tmp), ("TMPDIR", Tmp), ("RESOURCE", Resource)];
}
