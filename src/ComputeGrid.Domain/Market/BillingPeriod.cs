using System.Globalization;

namespace ComputeGrid.Domain.Market;

/// <summary>How long a statement's period is.</summary>
public enum PeriodKind
{
    /// <summary>A calendar day in Asia/Shanghai.</summary>
    Day,

    /// <summary>A calendar month in Asia/Shanghai.</summary>
    Month,
}

/// <summary>
/// A statement's period: a calendar day or month in China Standard Time (Asia/Shanghai, UTC+8 with no daylight saving
/// since 1991), from its first instant (inclusive) to the next period's (exclusive). Its id is <c>yyyy-MM</c> for a month
/// and <c>yyyy-MM-dd</c> for a day.
/// </summary>
/// <param name="Kind">Day or month.</param>
/// <param name="FirstDay">Its first calendar day (the 1st for a month).</param>
public sealed record BillingPeriod(PeriodKind Kind, DateOnly FirstDay)
{
    /// <summary>The time zone periods are cut in.</summary>
    public static TimeZoneInfo Zone { get; } = FindZone();

    /// <summary>Its id: <c>2025-03</c> or <c>2025-03-14</c>.</summary>
    public string Id => Kind == PeriodKind.Month
        ? FirstDay.ToString("yyyy-MM", CultureInfo.InvariantCulture)
        : FirstDay.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Its first instant.</summary>
    public DateTimeOffset Start => StartOf(FirstDay);

    /// <summary>The first instant after it.</summary>
    public DateTimeOffset End => StartOf(Kind == PeriodKind.Month ? FirstDay.AddMonths(1) : FirstDay.AddDays(1));

    /// <summary>The period after this one.</summary>
    public BillingPeriod Next => new(Kind, Kind == PeriodKind.Month ? FirstDay.AddMonths(1) : FirstDay.AddDays(1));

    /// <summary>The period of <paramref name="kind"/> that holds <paramref name="instant"/>.</summary>
    public static BillingPeriod Containing(DateTimeOffset instant, PeriodKind kind)
    {
        var local = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, Zone).DateTime);
        return new(kind, kind == PeriodKind.Month ? new DateOnly(local.Year, local.Month, 1) : local);
    }

    /// <summary>Reads a period id (<c>yyyy-MM</c> or <c>yyyy-MM-dd</c>, years 2000..9998); null when it is not one.</summary>
    public static BillingPeriod? TryParse(string? id)
    {
        if (id is { Length: 7 } && DateOnly.TryParseExact(id + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var month) && month.Year is >= 2000 and < 9999)
        {
            return new(PeriodKind.Month, month);
        }

        return id is { Length: 10 } && DateOnly.TryParseExact(id, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day) && day.Year is >= 2000 and < 9999
            ? new(PeriodKind.Day, day)
            : null;
    }

    /// <summary>
    /// Cuts [<paramref name="from"/>, <paramref name="to"/>) at the boundaries of <paramref name="kind"/>: each period it
    /// touches with the part of the interval inside it, in order. Nothing for an empty interval.
    /// </summary>
    public static IEnumerable<(BillingPeriod Period, DateTimeOffset From, DateTimeOffset To)> Split(DateTimeOffset from, DateTimeOffset to, PeriodKind kind)
    {
        var period = Containing(from, kind);
        var at = from;
        while (at < to)
        {
            var end = period.End < to ? period.End : to;
            yield return (period, at, end);
            at = end;
            period = period.Next;
        }
    }

    /// <inheritdoc />
    public override string ToString() => Id;

    private static DateTimeOffset StartOf(DateOnly day)
    {
        var local = day.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        return new DateTimeOffset(local, Zone.GetUtcOffset(local));
    }

    private static TimeZoneInfo FindZone()
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        }
        catch (TimeZoneNotFoundException)
        {
            // A machine without tzdata: China Standard Time has been UTC+8 all year since 1991, which is what it says.
            return TimeZoneInfo.CreateCustomTimeZone("Asia/Shanghai", TimeSpan.FromHours(8), "China Standard Time", "China Standard Time");
        }
    }
}
