using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using Drover.Cli.Commands;

namespace Drover.Cli;

/// <summary>Every <c>drover</c> command, their shared options, and a help that ends with examples.</summary>
public static class DroverCommands
{
    public static RootCommand Create()
    {
        var root = new RootCommand("Drover: a distributed task dispatcher with a queryable task database")
        {
            CommonOptions.Ca,
            CommonOptions.Data,
            UpCommand.Create(),
            ServerCommand.Create(),
            WorkerCommand.Create(),
            SubmitCommand.Create(),
            TasksCommand.Create(),
            QueryCommand.Create(),
            ResubmitCommand.Create(),
            CancelCommand.Create(),
            SignalCommand.Create(),
            BatchCommands.List(),
            BatchCommands.Batch(),
            StatusCommand.Create(),
            PurgeCommand.Create(),
            ResultCommand.Create(),
            WaitCommand.Create(),
            WatchCommand.Create(),
            TrackerCommands.Create(),
            WorkersCommand.Create(),
            DatasetCommands.Dataset(),
            DatasetCommands.GroupBy(),
            AdminCommands.Admin(),
            RecruiterCommands.Recruiter(),
            TokenCommands.Token(),
            TokenCommands.Audit(),
            ScheduleCommands.Schedule(),
            RecruiterCommands.Jobs(),
            RecruiterCommands.Job(),
            RecruiterCommands.Flavors(),
        };

        // --server and --token are for commands that talk to a server: not up and server (which are one), nor the local tracker.
        foreach (var command in root.Subcommands.Where(c => c.Name is not ("up" or "server" or "tracker")))
        {
            command.Options.Add(CommonOptions.Server);
            command.Options.Add(CommonOptions.Token);
        }

        // Each command's help ends with its examples (Examples.cs).
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new HelpWithExamples((SynchronousCommandLineAction)help.Action!);
        return root;
    }
}

/// <summary>The usual help, then the command's examples.</summary>
internal sealed class HelpWithExamples(SynchronousCommandLineAction help) : SynchronousCommandLineAction
{
    public override int Invoke(ParseResult parseResult)
    {
        var code = help.Invoke(parseResult);
        var output = parseResult.InvocationConfiguration.Output;
        if (Examples.ByCommand.TryGetValue(Examples.PathOf(parseResult.CommandResult.Command), out var examples))
        {
            output.WriteLine("Examples:");
            foreach (var (line, says) in examples)
            {
                output.WriteLine($"  drover {line}");
                output.WriteLine($"      {says}");
            }
            output.WriteLine();
        }
        return code;
    }
}
