using System.Diagnostics;
using ComputeGrid.Contracts.Telemetry;

namespace ComputeGrid.Client.Telemetry;

/// <summary>
/// The SDK's trace source (<see cref="TraceTags.ClientSource"/>). A span per call the application makes, a child of the
/// application's current span; Orleans carries its context on every grain call when the client has activity propagation
/// (which <c>AddComputeGridClient</c> turns on). Spans exist only when a listener (an OpenTelemetry tracer provider that
/// adds this source) samples them.
/// </summary>
internal static class ClientTracing
{
    private static readonly ActivitySource Source = new(TraceTags.ClientSource, typeof(ClientTracing).Assembly.GetName().Version?.ToString());

    /// <summary>Starts a client span named for the call, for example <c>sdk submit</c>.</summary>
    public static Activity? Start(string name, string? jobId = null, string? tenant = null, string? hub = null) =>
        Source.StartActivity($"sdk {name}", ActivityKind.Client).Tag(jobId: jobId, tenant: tenant, hub: hub);
}
