using ComputeGrid.Domain.Loans;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Grains.Hosting;

/// <summary>
/// How hubs negotiate capacity loans (configuration section <c>ComputeGrid:Loans</c>). Durations marked "federation
/// clock" follow the injected TimeProvider (a trace replay accelerates them); "wall clock" ones are real time.
/// </summary>
public sealed class LoanOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "ComputeGrid:Loans";

    /// <summary>Whether hubs borrow at all. Default true; false keeps every hub on its own capacity.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The default <see cref="OfferWindow"/> of cluster mode, where offers travel on Azure queues: 10 s.</summary>
    public static readonly TimeSpan QueueStreamsOfferWindow = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a borrower collects offers before it chooses (wall clock); it closes earlier when every asked peer
    /// answered. Default 2 s (<see cref="QueueStreamsOfferWindow"/> in cluster mode); 10 ms..1 min.
    /// </summary>
    public TimeSpan OfferWindow { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long an offer holds the lender's capacity unless accepted (federation clock). Default 1 min; 1 s..1 h.</summary>
    public TimeSpan OfferTtl { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The shortest term asked for (federation clock). Default 1 h.</summary>
    public TimeSpan MinTerm { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The longest term asked for (federation clock). Default 7 days.</summary>
    public TimeSpan MaxTerm { get; set; } = TimeSpan.FromDays(7);

    /// <summary>A loan's term is the longest waiting job's run time times this factor, within MinTerm..MaxTerm. Default 1.5; 1..10.</summary>
    public double TermFactor { get; set; } = 1.5;

    /// <summary>How long a recall's notice lasts before borrowed jobs on the loan are preempted (federation clock). Default 10 min.</summary>
    public TimeSpan RecallNotice { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>What happens to running borrowed jobs when a loan's term ends. Default FinishRunning.</summary>
    public ExpiryTerms OnExpiry { get; set; } = ExpiryTerms.FinishRunning;

    /// <summary>A job waiting longer than this makes its hub ask every feasible peer for capacity (federation clock). Default 1 min.</summary>
    public TimeSpan QueuePressureThreshold { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>After a peer refused or its offer was not taken, how long the hub does not ask it again (federation clock). Default 2 min.</summary>
    public TimeSpan AskBackoff { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>A lender's margin over its energy cost in its price: 0.2 prices at 120%. Default 0.2; 0..10.</summary>
    public double PriceMargin { get; set; } = 0.2;

    /// <summary>The most a borrower pays per core-hour, CNY. Default 1.</summary>
    public double MaxCnyPerCoreHour { get; set; } = 1;

    /// <summary>The most a borrower pays per GPU-hour, CNY. Default 20.</summary>
    public double MaxCnyPerGpuHour { get; set; } = 20;

    /// <summary>How many waiting jobs one request covers at most. Default 500; 1..100000.</summary>
    public int MaxJobsPerRequest { get; set; } = 500;

    /// <summary>
    /// How far back a borrower counts the jobs whose best place was a peer when it sizes a loan from that peer (federation
    /// clock): a loan covers the waiting jobs plus what these arrivals predict for its term. Default 10 min; 0..1 d; 0 sizes
    /// loans by the waiting jobs alone.
    /// </summary>
    public TimeSpan ArrivalWindow { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long ahead that forecast looks at most (federation clock; never past the loan's term): an arrival is counted for
    /// min(run time, horizon) / <see cref="ArrivalWindow"/> of its resources. Default 1 h; 0..7 d.
    /// </summary>
    public TimeSpan ForecastHorizon { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How often a loan checks its deadlines against the federation clock (wall clock). Default 1 s; 10 ms..1 min.</summary>
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The price ceiling as a value.</summary>
    public LoanPrice Ceiling => new(MaxCnyPerCoreHour, MaxCnyPerGpuHour);
}

/// <summary>Fails start-up with the option's name and the reason when <see cref="LoanOptions"/> is out of range.</summary>
internal sealed class LoanOptionsValidator : IValidateOptions<LoanOptions>
{
    public ValidateOptionsResult Validate(string? name, LoanOptions o)
    {
        var failures = new List<string>();
        void Range(string field, TimeSpan value, TimeSpan min, TimeSpan max)
        {
            if (value < min || value > max)
            {
                failures.Add($"{LoanOptions.Section}:{field} must be between {min} and {max} (was {value})");
            }
        }

        Range(nameof(o.OfferWindow), o.OfferWindow, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(1));
        Range(nameof(o.OfferTtl), o.OfferTtl, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        Range(nameof(o.MinTerm), o.MinTerm, TimeSpan.FromMinutes(1), TimeSpan.FromDays(365));
        Range(nameof(o.MaxTerm), o.MaxTerm, o.MinTerm, TimeSpan.FromDays(365));
        Range(nameof(o.RecallNotice), o.RecallNotice, TimeSpan.Zero, TimeSpan.FromDays(7));
        Range(nameof(o.QueuePressureThreshold), o.QueuePressureThreshold, TimeSpan.Zero, TimeSpan.FromDays(7));
        Range(nameof(o.AskBackoff), o.AskBackoff, TimeSpan.Zero, TimeSpan.FromDays(1));
        Range(nameof(o.TickInterval), o.TickInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(1));
        Range(nameof(o.ArrivalWindow), o.ArrivalWindow, TimeSpan.Zero, TimeSpan.FromDays(1));
        Range(nameof(o.ForecastHorizon), o.ForecastHorizon, TimeSpan.Zero, TimeSpan.FromDays(7));
        if (o.TermFactor is < 1 or > 10 || double.IsNaN(o.TermFactor))
        {
            failures.Add($"{LoanOptions.Section}:TermFactor must be between 1 and 10 (was {o.TermFactor})");
        }

        if (o.PriceMargin is < 0 or > 10 || double.IsNaN(o.PriceMargin))
        {
            failures.Add($"{LoanOptions.Section}:PriceMargin must be between 0 and 10 (was {o.PriceMargin})");
        }

        if (o.MaxCnyPerCoreHour < 0 || o.MaxCnyPerGpuHour < 0 || double.IsNaN(o.MaxCnyPerCoreHour) || double.IsNaN(o.MaxCnyPerGpuHour))
        {
            failures.Add($"{LoanOptions.Section}:MaxCnyPerCoreHour and MaxCnyPerGpuHour must not be negative");
        }

        if (o.MaxJobsPerRequest is < 1 or > 100_000)
        {
            failures.Add($"{LoanOptions.Section}:MaxJobsPerRequest must be between 1 and 100000 (was {o.MaxJobsPerRequest})");
        }

        if (!Enum.IsDefined(o.OnExpiry))
        {
            failures.Add($"{LoanOptions.Section}:OnExpiry must be FinishRunning or Preempt (was '{o.OnExpiry}')");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
