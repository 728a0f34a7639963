using ComputeGrid.Contracts.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Orleans.Diagnostics;

namespace ComputeGrid.Gateway.Hosting;

/// <summary>Where a host sends its traces (section <c>Tracing</c>; environment variables <c>Tracing__OtlpEndpoint</c>).</summary>
public sealed class TracingOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Tracing";

    /// <summary>
    /// The OTLP collector, for example <c>http://localhost:4317</c> (gRPC) or <c>http://localhost:4318</c> (HTTP), such as
    /// Jaeger's all-in-one; default none: nothing is traced or exported.
    /// </summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary>The OTLP transport: <c>Grpc</c> (default, port 4317) or <c>HttpProtobuf</c> (port 4318, path /v1/traces).</summary>
    public OtlpExportProtocol OtlpProtocol { get; set; } = OtlpExportProtocol.Grpc;

    /// <summary>
    /// The share of new traces recorded, 0..1; default 1 (every request). A request that arrives with a sampled W3C
    /// <c>traceparent</c> is always recorded, so a caller's trace is never cut.
    /// </summary>
    public double SampleRatio { get; set; } = 1.0;
}

/// <summary>Distributed tracing of the REST gateway, the SDK and the grains, exported over OTLP.</summary>
public static class TracingExtensions
{
    /// <summary>
    /// The trace sources a ComputeGrid host records: REST requests (ASP.NET Core), SDK calls, grain calls (Orleans'
    /// activity propagation) and the grains' own spans.
    /// </summary>
    public static IReadOnlyList<string> Sources { get; } = [TraceTags.ClientSource, TraceTags.GrainsSource, ActivitySources.ApplicationGrainActivitySourceName];

    /// <summary>
    /// Binds section <c>Tracing</c> (validated at start-up) and, when it names an OTLP endpoint, records
    /// <see cref="Sources"/> and exports them there as service <paramref name="serviceName"/>. W3C trace context is
    /// read from incoming requests either way.
    /// </summary>
    public static IServiceCollection AddComputeGridTracing(this IServiceCollection services, IConfiguration configuration, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<TracingOptions>().BindConfiguration(TracingOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TracingOptions>, TracingOptionsValidator>();
        var tracing = configuration.GetSection(TracingOptions.Section).Get<TracingOptions>() ?? new TracingOptions();
        if (tracing.OtlpEndpoint is null)
        {
            return services;
        }

        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName, serviceNamespace: "computegrid"))
            .WithTracing(t => t
                .AddSource([.. Sources])
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !context.Request.Path.StartsWithSegments("/health") && !context.Request.Path.StartsWithSegments("/metrics"))
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(Math.Clamp(tracing.SampleRatio, 0, 1))))
                .AddOtlpExporter(o =>
                {
                    o.Protocol = tracing.OtlpProtocol;
                    o.Endpoint = tracing.OtlpProtocol == OtlpExportProtocol.HttpProtobuf
                        ? new Uri(tracing.OtlpEndpoint, "v1/traces")
                        : tracing.OtlpEndpoint;
                }));
        return services;
    }
}

/// <summary>Fails start-up naming the tracing setting and the reason.</summary>
internal sealed class TracingOptionsValidator : IValidateOptions<TracingOptions>
{
    public ValidateOptionsResult Validate(string? name, TracingOptions options)
    {
        var failures = new List<string>();
        if (options.OtlpEndpoint is { } endpoint && (!endpoint.IsAbsoluteUri || endpoint.Scheme is not ("http" or "https")))
        {
            failures.Add($"Tracing:OtlpEndpoint must be an absolute http or https URL such as http://localhost:4317 (was '{endpoint}')");
        }

        if (!Enum.IsDefined(options.OtlpProtocol))
        {
            failures.Add($"Tracing:OtlpProtocol must be Grpc or HttpProtobuf (was '{options.OtlpProtocol}')");
        }

        if (options.SampleRatio is < 0 or > 1 || double.IsNaN(options.SampleRatio))
        {
            failures.Add($"Tracing:SampleRatio must be between 0 and 1 (was {options.SampleRatio})");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
