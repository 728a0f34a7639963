using ComputeGrid.Domain.Market;
using Microsoft.Extensions.Options;

namespace ComputeGrid.Grains.Market;

/// <summary>The market's settings (section <c>ComputeGrid:Market</c>), validated at start-up.</summary>
public sealed class MarketOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "ComputeGrid:Market";

    /// <summary>How long a quote stands (its <c>validUntil</c> is this after it was made). Default 10 minutes; 1 s to 1 day.</summary>
    public TimeSpan QuoteValidity { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long after its period ends a statement takes the runs that ended in it or spanned its end (booked when they
    /// end); after that it closes for good and later bookings go to the open period. Default 1 day; 0 to 31 days.
    /// </summary>
    public TimeSpan StatementGrace { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Lowest price an owner may set, as a multiple of the default list price. Default 0.5; 0 to 1.</summary>
    public decimal MinPriceFactor { get; set; } = PriceBounds.Default.MinFactor;

    /// <summary>Highest price an owner may set, as a multiple of the default list price. Default 100; 1 to 10,000.</summary>
    public decimal MaxPriceFactor { get; set; } = PriceBounds.Default.MaxFactor;

    /// <summary>The bounds as the domain takes them.</summary>
    public PriceBounds Bounds => new(MinPriceFactor, MaxPriceFactor);
}

/// <summary>Fails start-up on market settings out of range.</summary>
internal sealed class MarketOptionsValidator : IValidateOptions<MarketOptions>
{
    public ValidateOptionsResult Validate(string? name, MarketOptions options)
    {
        var errors = new List<string>();
        if (options.QuoteValidity < TimeSpan.FromSeconds(1) || options.QuoteValidity > TimeSpan.FromDays(1))
        {
            errors.Add($"{MarketOptions.Section}:QuoteValidity must be between 1 second and 1 day");
        }

        if (options.StatementGrace < TimeSpan.Zero || options.StatementGrace > TimeSpan.FromDays(31))
        {
            errors.Add($"{MarketOptions.Section}:StatementGrace must be between 0 and 31 days");
        }

        if (options.MinPriceFactor is < 0 or > 1)
        {
            errors.Add($"{MarketOptions.Section}:MinPriceFactor must be between 0 and 1");
        }

        if (options.MaxPriceFactor is < 1 or > 10_000)
        {
            errors.Add($"{MarketOptions.Section}:MaxPriceFactor must be between 1 and 10000");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
