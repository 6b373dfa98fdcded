using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Drover.Json;

/// <summary>The wire format's JSON settings (API.md): snake_case names and enums, nulls left out.</summary>
public static class DroverJson
{
    /// <summary>For responses and for reading Drover's own answers.</summary>
    public static JsonSerializerOptions Options { get; } = Create(strict: false);

    /// <summary>For requests: an unknown field is an error, so a typo never passes silently.</summary>
    public static JsonSerializerOptions Strict { get; } = Create(strict: true);

    /// <summary>Applies Drover's settings to options owned by someone else (ASP.NET Core's, an HttpClient's).</summary>
    public static void Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = null;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        options.Converters.Add(new UtcTimeJsonConverter());
        options.Converters.Add(new TaskRecordJsonConverter());
        // Generated code for the wire types first; anything else falls back to reflection.
        options.TypeInfoResolverChain.Insert(0, DroverJsonContext.Default);
        if (!options.TypeInfoResolverChain.OfType<DefaultJsonTypeInfoResolver>().Any())
            options.TypeInfoResolverChain.Add(new DefaultJsonTypeInfoResolver());
    }

    private static JsonSerializerOptions Create(bool strict)
    {
        var options = new JsonSerializerOptions();
        Configure(options);
        if (strict) options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        else
        {
            // The channel's busy frames, read by hand where peers speak to each other; a request (read
            // strictly) keeps the generated code's errors, which name the field at fault.
            options.Converters.Add(new LeasedTaskJsonConverter());
            options.Converters.Add(new ReportEventJsonConverter());
        }
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
