using ComputeGrid.Domain.Topology;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Silo;

/// <summary>Turns the ways start-up can fail on bad input into one clear message (exit code 2), instead of a stack trace.</summary>
internal static class StartupError
{
    public static string? Describe(Exception e) => e switch
    {
        TopologyException t => t.Message,
        OptionsValidationException o => $"Invalid configuration: {string.Join("; ", o.Failures)}",
        AggregateException a when a.InnerExceptions.All(i => Describe(i) is not null) =>
            string.Join(Environment.NewLine, a.InnerExceptions.Select(i => Describe(i))),
        InvalidOperationException { InnerException: ArgumentException or FormatException or OverflowException } i => $"Invalid configuration: {i.Message}",
        _ => null,
    };
}
