using System.Text.Json;
using Drover.Contracts;

namespace Drover.IntegrationTests;

/// <summary>Short ways to write the tasks the tests submit.</summary>
internal static class Specs
{
    public static TaskSpec Command(params string[] argv) => new() { Command = JsonSerializer.SerializeToElement(argv) };

    public static TaskSpec Shell(string text) => new()
    {
        Command = JsonSerializer.SerializeToElement(text),
        Shell = JsonSerializer.SerializeToElement(true),
    };

    public static TaskSpec WithTimeout(this TaskSpec spec, string timeout) => spec with { Timeout = JsonSerializer.SerializeToElement(timeout) };
}
