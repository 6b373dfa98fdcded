using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Drover.Server.Http;

/// <summary>
/// Declares the bearer token in the OpenAPI document (a security scheme every operation requires),
/// so that <c>/swagger</c> offers "Authorize" and generated clients send the header.
/// </summary>
internal sealed class BearerSecurityScheme : IOpenApiDocumentTransformer
{
    public const string Name = "bearer";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[Name] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "The admin token (<data>/admin.token), the worker token, a named token (drover token create) or a task's DROVER_TASK_TOKEN.",
        };
        document.Security ??= [];
        document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Name, document)] = [] });
        return Task.CompletedTask;
    }
}
