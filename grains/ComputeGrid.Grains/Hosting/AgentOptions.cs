using Microsoft.Extensions.Options;

namespace ComputeGrid.Grains.Hosting;

/// <summary>How data centers deal with their agents (configuration section <c>ComputeGrid:Agents</c>).</summary>
public sealed class AgentOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "ComputeGrid:Agents";

    /// <summary>How often agents sync (told to them in every response). Default 2 s; 100 ms..1 min.</summary>
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a data center with agents waits without a sync from any of them before it marks itself Offline and
    /// preempts its jobs (they are placed again elsewhere). Default 15 s; at least 3 sync intervals, at most 1 h.
    /// </summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long each sync renews an agent's lease on its jobs. An agent that cannot renew (its credential revoked, the
    /// gateway unreachable) stops its jobs at 80 % of the lease, counted from when it sent its last successful sync; the
    /// data center places them elsewhere only after the lease has ended, counted from when it recorded that sync, so a
    /// job never runs in two places. Default 10 s; at least 3 sync intervals, at most the heartbeat timeout.
    /// </summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Fails start-up with the option's name and the reason when <see cref="AgentOptions"/> is out of range.</summary>
internal sealed class AgentOptionsValidator : IValidateOptions<AgentOptions>
{
    public ValidateOptionsResult Validate(string? name, AgentOptions options)
    {
        var failures = new List<string>();
        if (options.SyncInterval < TimeSpan.FromMilliseconds(100) || options.SyncInterval > TimeSpan.FromMinutes(1))
        {
            failures.Add($"{AgentOptions.Section}:SyncInterval must be between 00:00:00.1 and 00:01:00 (was {options.SyncInterval})");
        }

        if (options.HeartbeatTimeout < 3 * options.SyncInterval || options.HeartbeatTimeout > TimeSpan.FromHours(1))
        {
            failures.Add($"{AgentOptions.Section}:HeartbeatTimeout must be at least 3 sync intervals ({3 * options.SyncInterval}) and at most 01:00:00 (was {options.HeartbeatTimeout})");
        }

        if (options.Lease < 3 * options.SyncInterval || options.Lease > options.HeartbeatTimeout)
        {
            failures.Add($"{AgentOptions.Section}:Lease must be at least 3 sync intervals ({3 * options.SyncInterval}) and at most the heartbeat timeout ({options.HeartbeatTimeout}) (was {options.Lease})");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
