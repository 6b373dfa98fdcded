using System.CommandLine;
using Drover.Cli;
using Drover.Text;

namespace Drover.IntegrationTests;

/// <summary>
/// Each command's help ends with examples, and every example is a command line the real commands
/// accept (parsed, not run), so an example cannot drift from the options it shows.
/// </summary>
public sealed class CliHelpTests
{
    [Fact]
    public void Every_command_has_examples_and_each_parses_as_the_command_it_is_listed_under()
    {
        var root = DroverCommands.Create();
        var missing = Commands(root).Select(Examples.PathOf).Where(path => !Examples.ByCommand.ContainsKey(path)).ToList();
        Assert.True(missing.Count == 0, $"commands without examples: {string.Join(", ", missing)}");
        foreach (var (path, examples) in Examples.ByCommand)
        {
            Assert.InRange(examples.Length, 1, 3);
            foreach (var (line, says) in examples)
            {
                Assert.False(string.IsNullOrWhiteSpace(says));
                var words = ShellWords.Split(line, out var error);
                Assert.True(words is not null, $"{line}: {error}");
                var parsed = root.Parse([.. words]);
                Assert.True(parsed.Errors.Count == 0, $"drover {line}: {string.Join("; ", parsed.Errors.Select(e => e.Message))}");
                // The overview's examples ("") show other commands.
                if (path != "") Assert.Equal(path, Examples.PathOf(parsed.CommandResult.Command));
            }
        }
    }

    [Fact]
    public async Task The_help_prints_them_even_when_required_options_are_missing()
    {
        var (exit, output) = await Infrastructure.DroverProcess.RunAsync(["dataset", "import", "--help"]);
        Assert.Equal(0, exit);
        Assert.Contains("Examples:\n  drover dataset import trips.csv.gz --name trips", output);
        (exit, output) = await Infrastructure.DroverProcess.RunAsync(["submit", "--help"]);
        Assert.Equal(0, exit);
        Assert.Contains("  drover submit -- echo hello\n      a command and its arguments, after --", output);
    }

    private static IEnumerable<Command> Commands(Command command) =>
        command.Subcommands.SelectMany(c => c.Subcommands.Count == 0 ? [c] : Commands(c)); // the leaves: a group's help lists its commands
}
