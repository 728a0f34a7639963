using System.Globalization;
using ComputeGrid.Client.Configuration;
using ComputeGrid.Contracts.Cluster;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Client.Connection;

/// <summary>
/// The SDK's view of its link to the cluster. While the host starts it decides whether to try the gateways again: one
/// warning line per failed attempt (no stack trace), a jittered back-off, and past
/// <see cref="ComputeGridClientOptions.ConnectTimeout"/> a <see cref="ComputeGridConnectionException"/> that names the
/// gateways and says how to start a development silo. Once connected it reports a lost cluster the same way, and calls
/// made meanwhile fail fast (<see cref="IsLost"/>) instead of waiting for a response timeout.
/// </summary>
internal sealed partial class ClusterConnection(IOptions<ComputeGridClientOptions> options, TimeProvider time, ILogger<ClusterConnection> logger, IServiceProvider services)
    : IClientConnectionRetryFilter, IClusterConnectionStatusObserver
{
    /// <summary>The README's command that starts a development silo.</summary>
    public const string DevelopmentSiloCommand = "dotnet run --project silo/ComputeGrid.Silo";

    private static readonly TimeSpan FirstBackOff = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan LongestBackOff = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private long _startedAt = -1;
    private int _attempts;
    private volatile bool _lost;

    /// <summary>True from a lost connection until a gateway is connected again.</summary>
    public bool IsLost => _lost;

    /// <summary>What the client tries: its gateways, or the membership table it reads them from.</summary>
    public IReadOnlyList<string> Gateways => options.Value.Storage == StorageKind.AzureStorage
        ? ["the live silos of the Azure Storage membership table (ComputeGridClient:Storage is AzureStorage)"]
        : GatewayAddress.Of(options.Value);

    public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
    {
        int attempt;
        TimeSpan elapsed;
        lock (_gate)
        {
            if (_startedAt < 0)
            {
                _startedAt = time.GetTimestamp();
            }

            attempt = ++_attempts;
            elapsed = time.GetElapsedTime(_startedAt);
        }

        var limit = options.Value.ConnectTimeout;
        var remaining = limit - elapsed;
        var gateways = string.Join(", ", Gateways);
        if (cancellationToken.IsCancellationRequested)
        {
            return false;
        }

        if (remaining <= TimeSpan.Zero)
        {
            LogGaveUp(logger, attempt, gateways, limit);
            throw new ComputeGridConnectionException(NotConnected(attempt, limit, exception), Gateways, exception);
        }

        LogAttemptFailed(logger, attempt, gateways, OneLine(exception), Math.Round(remaining.TotalSeconds, 1));
        var backOff = BackOff(attempt);
        try
        {
            await Task.Delay(backOff < remaining ? backOff : remaining, time, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        return true;
    }

    public void NotifyClusterConnectionLost()
    {
        _lost = true;

        // The host stopping closes the connection too: that is no loss to report.
        if (services.GetService<IHostApplicationLifetime>() is not { ApplicationStopping.IsCancellationRequested: true })
        {
            LogLost(logger, string.Join(", ", Gateways), DevelopmentSiloCommand);
        }
    }

    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered)
    {
        if (currentNumberOfGateways > 0 && (_lost || connectionRecovered))
        {
            _lost = false;
            LogRecovered(logger, currentNumberOfGateways);
        }
    }

    /// <summary>The exception of a call that found the cluster lost (or unreachable) through all its attempts.</summary>
    public ComputeGridConnectionException Unreachable(string operation, Exception? last) => new(
        $"The ComputeGrid cluster did not answer {operation}: "
        + (IsLost ? "the connection to it is lost" : "no gateway answered")
        + $" (gateways: {string.Join(", ", Gateways)}). {Hint()}"
        + (last is null ? string.Empty : $" Last error: {OneLine(last)}"),
        Gateways,
        last);

    private string NotConnected(int attempts, TimeSpan limit, Exception last) =>
        string.Create(CultureInfo.InvariantCulture, $"Could not connect to the ComputeGrid cluster within {limit.TotalSeconds:0.#} s (ComputeGridClient:ConnectTimeout) after {attempts} attempts; gateways tried: {string.Join(", ", Gateways)}. {Hint()} Last error: {OneLine(last)}");

    private string Hint() => options.Value.Storage == StorageKind.AzureStorage
        ? "Is a silo of this cluster running, with the same ClusterId, ServiceId and storage account?"
        : $"Is a silo running there? For development, start one from the repository root with `{DevelopmentSiloCommand}` (its gateway listens on {GatewayAddress.Development}), or set ComputeGridClient:Gateways to your cluster's gateways.";

    /// <summary>Doubling from 250 ms to 5 s, each with up to a quarter more at random, so many clients do not retry in step.</summary>
    private static TimeSpan BackOff(int attempt)
    {
        var doubled = FirstBackOff * Math.Pow(2, Math.Min(attempt - 1, 10));
        var capped = doubled < LongestBackOff ? doubled : LongestBackOff;
        return capped * (1 + (Random.Shared.NextDouble() / 4));
    }

    private static string OneLine(Exception exception)
    {
        var message = exception.GetBaseException().Message;
        var newline = message.IndexOfAny(['\r', '\n']);
        return $"{exception.GetBaseException().GetType().Name}: {(newline < 0 ? message : message[..newline])}";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "ComputeGrid: connection attempt {Attempt} failed ({Reason}); gateways tried: {Gateways}; trying again for up to {RemainingSeconds} s")]
    private static partial void LogAttemptFailed(ILogger logger, int attempt, string gateways, string reason, double remainingSeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "ComputeGrid: gave up connecting after {Attempts} attempts in {Limit} (ComputeGridClient:ConnectTimeout); gateways tried: {Gateways}")]
    private static partial void LogGaveUp(ILogger logger, int attempts, string gateways, TimeSpan limit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "ComputeGrid: lost the connection to the cluster (gateways: {Gateways}); calls fail with ComputeGridConnectionException until a gateway answers again. For development, start a silo with `{Command}`")]
    private static partial void LogLost(ILogger logger, string gateways, string command);

    [LoggerMessage(Level = LogLevel.Information, Message = "ComputeGrid: connected again ({Gateways} gateways)")]
    private static partial void LogRecovered(ILogger logger, int gateways);
}
