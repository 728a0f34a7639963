using ComputeGrid.Contracts.Cluster;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Client.Configuration;

/// <summary>Fails the host's start with each bad option's configuration key and the reason, as the silo's validator does.</summary>
internal sealed class ComputeGridClientOptionsValidator : IValidateOptions<ComputeGridClientOptions>
{
    private const string S = ComputeGridClientOptions.Section;

    public ValidateOptionsResult Validate(string? name, ComputeGridClientOptions options)
    {
        var failures = new List<string>();
        if (!Enum.IsDefined(options.Storage))
        {
            failures.Add($"{S}:Storage must be Memory or AzureStorage (was '{options.Storage}')");
        }

        if (options.Storage == StorageKind.AzureStorage && string.IsNullOrWhiteSpace(options.AzureStorageConnectionString))
        {
            failures.Add($"{S}:AzureStorageConnectionString is required when {S}:Storage is AzureStorage (the silos' account; UseDevelopmentStorage=true for Azurite)");
        }

        if (options.Storage == StorageKind.Memory)
        {
            for (var i = 0; i < options.Gateways.Count; i++)
            {
                if (!GatewayAddress.TryParse(options.Gateways[i], out _, out _))
                {
                    failures.Add($"{S}:Gateways:{i} must be host:port with a port of 1-65535 (was '{options.Gateways[i]}')");
                }
            }
        }

        if (string.IsNullOrWhiteSpace(options.ClusterId))
        {
            failures.Add($"{S}:ClusterId must not be empty");
        }

        if (string.IsNullOrWhiteSpace(options.ServiceId))
        {
            failures.Add($"{S}:ServiceId must not be empty");
        }

        Range(failures, "ResponseTimeout", options.ResponseTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        Range(failures, "ConnectTimeout", options.ConnectTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        Range(failures, "GatewayRefreshInterval", options.GatewayRefreshInterval, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        if (options.Retry is not { } retry)
        {
            failures.Add($"{S}:Retry must not be null");
        }
        else
        {
            if (retry.MaxAttempts is < 1 or > 20)
            {
                failures.Add($"{S}:Retry:MaxAttempts must be between 1 and 20 (was {retry.MaxAttempts})");
            }

            Range(failures, "Retry:BaseDelay", retry.BaseDelay, TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(1));
            Range(failures, "Retry:MaxDelay", retry.MaxDelay, retry.BaseDelay, TimeSpan.FromMinutes(5));
            Range(failures, "Retry:Deadline", retry.Deadline, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
            Range(failures, "Retry:AttemptTimeout", retry.AttemptTimeout, TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(10));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Range(List<string> failures, string option, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            failures.Add($"{S}:{option} must be between {min} and {max} (was {value})");
        }
    }
}
