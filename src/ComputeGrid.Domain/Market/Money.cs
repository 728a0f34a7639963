namespace ComputeGrid.Domain.Market;

/// <summary>
/// How CNY amounts are rounded. Every charge line is rounded once, to the fen (0.01 CNY), half away from zero (the
/// commercial rounding of 四舍五入); every total is the exact decimal sum of rounded lines, so a statement, a job's
/// charge and the sum of its lines agree to the fen with no rounding difference to explain.
/// </summary>
public static class Money
{
    /// <summary>Decimals of a charged amount: 2 (the fen).</summary>
    public const int AmountDecimals = 2;

    /// <summary>Ticks (100 ns) in one hour: run time becomes hours as an exact decimal fraction of this.</summary>
    public const long TicksPerHour = TimeSpan.TicksPerHour;

    /// <summary>An amount rounded to the fen, half away from zero.</summary>
    public static decimal Fen(decimal amount) => Math.Round(amount, AmountDecimals, MidpointRounding.AwayFromZero);

    /// <summary>Hours in <paramref name="duration"/>, as an exact decimal (ticks / 36,000,000,000); 0 for a negative duration.</summary>
    public static decimal Hours(TimeSpan duration) => duration.Ticks <= 0 ? 0m : (decimal)duration.Ticks / TicksPerHour;

    /// <summary>An amount in CNY for people: two decimals, invariant culture, with the unit (<c>12.30 CNY</c>).</summary>
    public static string Cny(decimal amount) => $"{amount.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)} CNY";
}
