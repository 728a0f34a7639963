using System.Text.Json.Nodes;
using ComputeGrid.Domain.Jobs;
using ComputeGrid.Gateway.Errors;
using ComputeGrid.Gateway.Jobs;
using ComputeGrid.Gateway.Security;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace ComputeGrid.Gateway.OpenApi;

/// <summary>The OpenAPI document at <c>/openapi/v1.json</c>: title, description, the API-key scheme, tags and query parameters' allowed values.</summary>
internal static class GatewayOpenApi
{
    public const string DocumentName = "v1";

    private static readonly (string Name, string Description)[] Tags =
    [
        ("Jobs", "Submit, read, list, cancel and follow your tenant's jobs."),
        ("Pool", "The national pool: hub nodes, their data centers, capacity, use and footprint."),
        ("Operators", "Register, drain, resume and remove data centers; operator keys only."),
    ];

    public static void Configure(OpenApiOptions options)
    {
        options.ShouldInclude = endpoint => endpoint.RelativePath?.StartsWith("v1/", StringComparison.Ordinal) == true;
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "ComputeGrid REST API",
                Version = "v1",
                Description =
                    "The national computing pool over HTTP. Every request carries an API key in the X-API-Key header; the key names your tenant and role. " +
                    "Units: CPU in millicores (1000 = one core), memory in MiB, run time in seconds, latency in ms, energy in kWh, carbon in kgCO2, cost in CNY. " +
                    "Every error is an RFC 9457 problem (application/problem+json) whose field and reason name what to fix.",
                Contact = new OpenApiContact { Name = "ComputeGrid operators", Url = new Uri("https://github.com/computegrid/computegrid") },
                License = new OpenApiLicense { Name = "Proprietary", Url = new Uri("https://github.com/computegrid/computegrid") },
            };
            foreach (var server in document.Servers ?? [])
            {
                server.Url = server.Url?.TrimEnd('/');
            }

            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[ApiKeys.Scheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = ApiKeys.Header,
                Description = "Your API key. A partner key acts for its tenant; an operator key may also change the pool's data centers.",
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiKeys.Scheme, document)] = [] }];
            document.Tags = new HashSet<OpenApiTag>(Tags.Select(t => new OpenApiTag { Name = t.Name, Description = t.Description }));
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            foreach (var parameter in operation.Parameters?.OfType<OpenApiParameter>() ?? [])
            {
                Describe(parameter);
            }

            operation.RequestBody?.Content?.Remove(ApiProblemMetadata.AnyMediaType);

            return Task.CompletedTask;
        });
    }

    private static void Describe(OpenApiParameter parameter)
    {
        switch (parameter.Name)
        {
            case "state":
                parameter.Description = "Only jobs in this state; absent for every state.";
                parameter.Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.String,
                    Enum = [.. Enum.GetNames<JobState>().Select(n => (JsonNode)JsonValue.Create(n))],
                };
                parameter.Example = JsonValue.Create(nameof(JobState.Running));
                break;
            case "limit":
                parameter.Description = "Page size, 1..500; default 50.";
                parameter.Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1", Maximum = "500", Default = JsonValue.Create(50) };
                parameter.Example = JsonValue.Create(50);
                break;
            case "cursor":
                parameter.Description = "The nextCursor of the previous page; absent for the first page. Opaque.";
                break;
            case "tenant" when parameter.In == ParameterLocation.Path:
                parameter.Description = "The tenant whose API keys these are: 1-64 of a-z, 0-9 and '-'.";
                parameter.Example = JsonValue.Create("acme");
                break;
            case "keyId":
                parameter.Description = "An issued key's id from GET /v1/tenants/{tenant}/api-keys.";
                parameter.Example = JsonValue.Create("k-3f9c0a1b2c3d");
                break;
            case "tenant":
                parameter.Description = "Operators only: list this tenant's jobs (1-64 of a-z, 0-9 and '-'); absent for the key's own tenant. A partner key may name only its own tenant (else 403).";
                parameter.Example = JsonValue.Create("acme");
                break;
            case "jobId":
                parameter.Description = "The job's id as the submission returned it.";
                parameter.Example = JsonValue.Create("acme.etl-2026-11-25");
                break;
            case "hubId":
                parameter.Description = "A hub id from GET /v1/hubs.";
                parameter.Example = JsonValue.Create("yangtze");
                break;
            case "dataCenterId":
                parameter.Description = "A data center id from GET /v1/hubs/{hubId}/data-centers.";
                parameter.Example = JsonValue.Create("guian");
                break;
            case JobsApi.IdempotencyKeyHeader:
                parameter.Description = "1-63 letters, digits, '_' or '-'. The same key with the same body returns the same job; with a different body, 422.";
                parameter.Example = JsonValue.Create("etl-2026-11-25");
                break;
            case "Last-Event-ID":
                parameter.Description = "Resume after this event sequence (the id of the last event received).";
                parameter.Example = JsonValue.Create("2");
                break;
        }
    }
}
