using System.Text.Json;
using Drover.Contracts;
using Drover.Json;

namespace Drover.Core.Tests;

/// <summary>The create's reader of plain specs must read what the serializer reads, and leave it everything else.</summary>
public sealed class TaskSpecElementsTests
{
    public static TheoryData<string> PlainSpecs() =>
    [
        """{"command":["echo","hi"]}""",
        """{"handler":"echo","args":7,"batch":"default"}""",
        """{"id":"0190f3c1-0000-7000-8000-000000000001","name":"n é ✓","batch":"b","group":"g","command":"echo $X","shell":"bash","env":{"X":"1","Y":""},"priority":-3,"retry":2,"timeout":"90s","cache":true}""",
        """{"handler":"h","args":{"a":[1,{"b":null}],"c":"\u00e9\n"},"requires":["0190f3c1-0000-7000-8000-000000000002"],"run_after":"2026-12-07T00:00:00Z","cache":false}""",
        """{"command":["run"],"in":"15m","input":["s3://b/k|gunzip"],"resource":"s3://b/r","output":"s3://b/o","output_on":"always","container":"alpine","container_options":"--network none","timeout":30}""",
        """{"command":["x"],"shell":false,"args":[],"env":{},"requires":[],"priority":2147483647,"retry":0}""",
        """{}""",
    ];

    [Theory]
    [MemberData(nameof(PlainSpecs))]
    public void A_plain_spec_reads_as_the_serializer_reads_it(string json)
    {
        var element = JsonDocument.Parse(json).RootElement;
        Assert.True(TaskSpecElements.TryRead(element, out var spec));
        var serializer = element.Deserialize<TaskSpec>(DroverJson.Strict)!;
        Assert.Equal(JsonSerializer.Serialize(serializer, DroverJson.Options), JsonSerializer.Serialize(spec, DroverJson.Options));
    }

    public static TheoryData<string> OtherSpecs() =>
    [
        """{"command":["echo"],"nope":1}""",
        """{"batch":"a","batch":"b"}""",
        """{"batch":null}""",
        """{"command":null}""",
        """{"batch":5}""",
        """{"priority":"5"}""",
        """{"priority":1.5}""",
        """{"priority":3000000000}""",
        """{"cache":"true"}""",
        """{"\u0062atch":"b"}""",
        """{"Batch":"b"}""",
        """{"env":{"A":1}}""",
        """{"env":{"A":"1","A":"2"}}""",
        """{"env":["A=1"]}""",
        """{"requires":[5]}""",
        """{"requires":"0190f3c1-0000-7000-8000-000000000002"}""",
        """{"a_member_name_longer_than_any":1}""",
        """[{"command":["echo"]}]""",
        "\"echo\"",
    ];

    [Theory]
    [MemberData(nameof(OtherSpecs))]
    public void Anything_else_is_left_to_the_serializer(string json) =>
        Assert.False(TaskSpecElements.TryRead(JsonDocument.Parse(json).RootElement, out _));

    [Fact]
    public void Tasks_that_name_the_same_batch_and_handler_share_their_strings()
    {
        var body = JsonDocument.Parse("""[{"batch":"night","handler":"h"},{"batch":"night","handler":"h"},{"batch":"day","handler":"h"}]""").RootElement;
        var specs = body.EnumerateArray().Select(e => TaskSpecElements.TryRead(e, out var spec) ? spec : null).ToList();
        Assert.Same(specs[0]!.Batch, specs[1]!.Batch);
        Assert.Same(specs[0]!.Handler, specs[2]!.Handler);
        Assert.Equal(("night", "day"), (specs[1]!.Batch, specs[2]!.Batch));
    }
}
