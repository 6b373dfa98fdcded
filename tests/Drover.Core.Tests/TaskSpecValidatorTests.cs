using System.Text.Json;
using Drover.Contracts;
using Drover.Json;
using Drover.Validation;

namespace Drover.Core.Tests;

public sealed class TaskSpecValidatorTests
{
    private static (Model.TaskDefinition? Definition, Dictionary<string, string[]> Errors) Validate(string json)
    {
        var spec = JsonSerializer.Deserialize<TaskSpec>(json, DroverJson.Strict)!;
        var errors = new FieldErrors();
        var definition = TaskSpecValidator.Validate(spec, errors);
        return (definition, errors.ToDictionary());
    }

    [Fact]
    public void An_argv_command_with_defaults_is_valid()
    {
        var (definition, errors) = Validate("""{"command": ["echo", "hi"]}""");
        Assert.Empty(errors);
        Assert.Equal(["echo", "hi"], definition!.Command);
        Assert.Equal("default", definition.Batch);
        Assert.Equal(0, definition.Retry);
        Assert.Null(definition.Shell);
        Assert.Equal(7, definition.Id.Version);
    }

    [Fact]
    public void A_string_command_is_split_without_a_shell()
    {
        var (definition, _) = Validate("""{"command": "grep -c 'a b' file"}""");
        Assert.Equal(["grep", "-c", "a b", "file"], definition!.Command);
    }

    [Fact]
    public void A_shell_command_keeps_its_text()
    {
        var (definition, _) = Validate("""{"command": "echo $HOME | wc -c", "shell": "bash"}""");
        Assert.Equal(["echo $HOME | wc -c"], definition!.Command);
        Assert.Equal("bash", definition.Shell);
    }

    [Fact]
    public void Timeout_reads_text_and_seconds()
    {
        Assert.Equal(TimeSpan.FromSeconds(90), Validate("""{"command": "x", "timeout": "1m30s"}""").Definition!.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(2.5), Validate("""{"command": "x", "timeout": 2.5}""").Definition!.Timeout);
    }

    [Theory]
    [InlineData("""{"command": []}""", "command")]
    [InlineData("""{"command": ""}""", "command")]
    [InlineData("""{"command": [1, 2]}""", "command")]
    [InlineData("""{}""", "command")]
    [InlineData("""{"command": "x", "handler": "echo"}""", "handler")]
    [InlineData("""{"command": "x", "retry": -1}""", "retry")]
    [InlineData("""{"command": "x", "timeout": "-5s"}""", "timeout")]
    [InlineData("""{"command": "x", "timeout": "soon"}""", "timeout")]
    [InlineData("""{"command": "x", "id": "not-a-uuid"}""", "id")]
    [InlineData("""{"command": "x", "batch": ""}""", "batch")]
    [InlineData("""{"command": "x", "shell": 3}""", "shell")]
    [InlineData("""{"command": "x", "env": {"A=B": "c"}}""", "env")]
    [InlineData("""{"command": "echo 'open"}""", "command")]
    [InlineData("""{"handler": "echo", "shell": true}""", "shell")]
    [InlineData("""{"command": "x", "args": {}}""", "args")]
    [InlineData("""{"command": "x", "input": "ftp://h/f"}""", "input")]
    [InlineData("""{"command": "x", "input": ["s3://b/k", "s3://b/k|explode"]}""", "input[1]")]
    [InlineData("""{"command": "x", "input": ["s3://b/k", 3]}""", "input[1]")]
    [InlineData("""{"command": "x", "input": {"uri": "s3://b/k"}}""", "input")]
    [InlineData("""{"command": "x", "input": "s3://b/../k"}""", "input")]
    [InlineData("""{"command": "x", "input": "s3:///k"}""", "input")]
    [InlineData("""{"command": "x", "input": "s3://b/dir/|untar"}""", "input")]
    [InlineData("""{"command": "x", "resource": "https://h/db.tgz|mv:/etc"}""", "resource")]
    [InlineData("""{"command": "x", "resource": "relative/path"}""", "resource")]
    [InlineData("""{"command": "x", "output": "s3://b/out/|gunzip"}""", "output")]
    [InlineData("""{"command": "x", "output": "gopher://h/out"}""", "output")]
    [InlineData("""{"command": "x", "output": "s3://b/out/", "output_on": "never"}""", "output_on")]
    [InlineData("""{"command": "x", "output_on": "always"}""", "output_on")]
    [InlineData("""{"command": "x", "container": "bad image"}""", "container")]
    [InlineData("""{"command": "x", "container": "--privileged"}""", "container")]
    [InlineData("""{"handler": "echo", "container": "busybox"}""", "container")]
    [InlineData("""{"command": "x", "container_options": "--cpus 2"}""", "container_options")]
    [InlineData("""{"command": "x", "container": "busybox", "container_options": 2}""", "container_options")]
    [InlineData("""{"handler": "echo", "cache": true}""", "cache")]
    public void Bad_input_names_the_field(string json, string field)
    {
        var (definition, errors) = Validate(json);
        Assert.Null(definition);
        Assert.Contains(field, errors.Keys);
    }

    [Fact]
    public void Data_fields_are_read_and_normalized()
    {
        var (definition, errors) = Validate("""
            {"command": "wc -l $INPUT/a", "input": " s3://b/reads/a.gz | gunzip ", "resource": ["https://h/db.tgz|untar|mv:db", "file:///srv/ref/"],
             "output": "s3://b/out", "output_on": "always", "container": "busybox:1.36", "container_options": "--cpus 2 -e 'A=b c'", "cache": true}
            """);
        Assert.Empty(errors);
        Assert.Equal(["s3://b/reads/a.gz|gunzip"], definition!.Input);
        Assert.Equal(["https://h/db.tgz|untar|mv:db", "file:///srv/ref/"], definition.Resource);
        Assert.Equal(("s3://b/out/", Model.OutputOn.Always, "busybox:1.36", true), (definition.Output, definition.OutputOn, definition.Container, definition.Cache));
        Assert.Equal(["--cpus", "2", "-e", "A=b c"], definition.ContainerOptions);
    }

    [Fact]
    public void Errors_in_an_array_carry_the_index()
    {
        var errors = new FieldErrors();
        TaskSpecValidator.Validate(new TaskSpec(), errors, "[3].");
        Assert.Contains("[3].command", errors.ToDictionary().Keys);
    }

    [Fact]
    public void Unknown_fields_are_refused_by_the_strict_reader() =>
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<TaskSpec>("""{"command": "x", "comand": "y"}""", DroverJson.Strict));
}
