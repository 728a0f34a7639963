using ComputeGrid.Domain.Reservations;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Grains.Hosting;

/// <summary>Advance reservations' settings (configuration section <c>ComputeGrid:Reservations</c>).</summary>
public sealed class ReservationOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "ComputeGrid:Reservations";

    /// <summary>Most cores one tenant's reservations hold at any one instant, all data centers together (an operator is not bound). Default 64; 0..1,000,000 (0: tenants may not reserve).</summary>
    public int TenantMaxCores { get; set; } = 64;

    /// <summary>Most GPUs (any model) one tenant's reservations hold at any one instant. Default 8; 0..100,000.</summary>
    public int TenantMaxGpus { get; set; } = 8;

    /// <summary>Longest window a tenant may reserve (end less start). Default 1 day; 1 min..365 days.</summary>
    public TimeSpan MaxWindow { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Furthest ahead a tenant's window may start. Default 30 days; 0..365 days.</summary>
    public TimeSpan MaxAdvance { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Longest window an operator may reserve (end less start). Default 30 days; 1 min..365 days, and at least <see cref="MaxWindow"/>.</summary>
    public TimeSpan OperatorMaxWindow { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Furthest ahead an operator's window may start. Default 180 days; 0..730 days, and at least <see cref="MaxAdvance"/>.</summary>
    public TimeSpan OperatorMaxAdvance { get; set; } = TimeSpan.FromDays(180);

    /// <summary>
    /// What a job's bounded run adds to its declared run time for the time between its reservation and its start (a data
    /// center holds a job's capacity until reservation time + run time + this). Default 1 min; 0..1 h.
    /// </summary>
    public TimeSpan StartGrace { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often a data center with windows opens and closes them and recalls loans they need. Default 5 s; 100 ms..10 min.</summary>
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The tenant quota as the domain's rules take it.</summary>
    public ReservationQuota Quota => new(TenantMaxCores, TenantMaxGpus, MaxWindow, MaxAdvance);

    /// <summary>The operator's bounds as the domain's rules take them.</summary>
    public OperatorReservationBounds OperatorBounds => new(OperatorMaxWindow, OperatorMaxAdvance);
}

/// <summary>Fails start-up with the option's name and the reason when <see cref="ReservationOptions"/> is out of range.</summary>
internal sealed class ReservationOptionsValidator : IValidateOptions<ReservationOptions>
{
    public ValidateOptionsResult Validate(string? name, ReservationOptions options)
    {
        var failures = new List<string>();
        if (options.TenantMaxCores is < 0 or > 1_000_000)
        {
            failures.Add($"ComputeGrid:Reservations:TenantMaxCores must be between 0 and 1000000 (was {options.TenantMaxCores})");
        }

        if (options.TenantMaxGpus is < 0 or > 100_000)
        {
            failures.Add($"ComputeGrid:Reservations:TenantMaxGpus must be between 0 and 100000 (was {options.TenantMaxGpus})");
        }

        if (options.MaxWindow < TimeSpan.FromMinutes(1) || options.MaxWindow > TimeSpan.FromDays(365))
        {
            failures.Add($"ComputeGrid:Reservations:MaxWindow must be between 00:01:00 and 365.00:00:00 (was {options.MaxWindow})");
        }

        if (options.MaxAdvance < TimeSpan.Zero || options.MaxAdvance > TimeSpan.FromDays(365))
        {
            failures.Add($"ComputeGrid:Reservations:MaxAdvance must be between 00:00:00 and 365.00:00:00 (was {options.MaxAdvance})");
        }

        if (options.OperatorMaxWindow < TimeSpan.FromMinutes(1) || options.OperatorMaxWindow > TimeSpan.FromDays(365) || options.OperatorMaxWindow < options.MaxWindow)
        {
            failures.Add($"ComputeGrid:Reservations:OperatorMaxWindow must be between 00:01:00 and 365.00:00:00 and at least MaxWindow ({options.MaxWindow}) (was {options.OperatorMaxWindow})");
        }

        if (options.OperatorMaxAdvance < TimeSpan.Zero || options.OperatorMaxAdvance > TimeSpan.FromDays(730) || options.OperatorMaxAdvance < options.MaxAdvance)
        {
            failures.Add($"ComputeGrid:Reservations:OperatorMaxAdvance must be between 00:00:00 and 730.00:00:00 and at least MaxAdvance ({options.MaxAdvance}) (was {options.OperatorMaxAdvance})");
        }

        if (options.StartGrace < TimeSpan.Zero || options.StartGrace > TimeSpan.FromHours(1))
        {
            failures.Add($"ComputeGrid:Reservations:StartGrace must be between 00:00:00 and 01:00:00 (was {options.StartGrace})");
        }

        if (options.TickInterval < TimeSpan.FromMilliseconds(100) || options.TickInterval > TimeSpan.FromMinutes(10))
        {
            failures.Add($"ComputeGrid:Reservations:TickInterval must be between 00:00:00.1 and 00:10:00 (was {options.TickInterval})");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
