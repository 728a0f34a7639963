using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ComputeGrid.Domain.Market;

/// <summary>Whose statement it is.</summary>
public enum StatementOwner
{
    /// <summary>A tenant's bill: what its jobs were charged.</summary>
    Tenant,

    /// <summary>A data center's revenue statement: what the jobs that ran there were charged (its owner's, a provider's).</summary>
    DataCenter,
}

/// <summary>A sum over lines: CNY, energy, carbon and PFLOPS-hours.</summary>
/// <param name="Key">What was summed over (a product, hub, job, data center or tenant).</param>
/// <param name="AmountCny">The exact sum of the lines' amounts.</param>
/// <param name="EnergyKwh">kWh.</param>
/// <param name="CarbonKg">kgCO2.</param>
/// <param name="PflopsHoursFp16">PFLOPS-hours at FP16.</param>
/// <param name="PflopsHoursFp32">PFLOPS-hours at FP32.</param>
public sealed record StatementTotal(string Key, decimal AmountCny, double EnergyKwh, double CarbonKg, double PflopsHoursFp16, double PflopsHoursFp32)
{
    /// <summary>The sum of <paramref name="lines"/> under <paramref name="key"/>.</summary>
    public static StatementTotal Of(string key, IEnumerable<StatementLine> lines)
    {
        decimal amount = 0;
        double energy = 0, carbon = 0, fp16 = 0, fp32 = 0;
        foreach (var l in lines)
        {
            amount += l.AmountCny;
            energy += l.EnergyKwh;
            carbon += l.CarbonKg;
            fp16 += l.PflopsHoursFp16;
            fp32 += l.PflopsHoursFp32;
        }

        return new StatementTotal(key, amount, energy, carbon, fp16, fp32);
    }
}

/// <summary>What a loan's borrower owes its lender in a period for the statement's runs.</summary>
/// <param name="LoanId">The loan.</param>
/// <param name="Lender">The lending hub.</param>
/// <param name="Borrower">The borrowing hub.</param>
/// <param name="CoreHours">Core-hours used on it.</param>
/// <param name="GpuHours">GPU-hours used on it.</param>
/// <param name="AmountCny">The exact sum of its settlements, CNY.</param>
public sealed record LoanTotal(string LoanId, string Lender, string Borrower, decimal CoreHours, decimal GpuHours, decimal AmountCny);

/// <summary>
/// A statement: every line of a tenant's (or a data center's) runs in one period, with totals per product, hub, job,
/// data center and tenant, and the loans between hubs those runs settled in CNY. Once closed it never changes; its
/// <see cref="Digest"/> is the SHA-256 of its CSV, so a copy can be checked against it.
/// </summary>
/// <param name="Owner">The tenant or data center id.</param>
/// <param name="OwnerKind">Tenant or data center.</param>
/// <param name="Period">The period.</param>
/// <param name="ClosedAt">When it closed; null while open.</param>
/// <param name="Lines">Its lines in the order they were booked.</param>
/// <param name="Loans">Its loan settlements in the order they were booked.</param>
public sealed record Statement(string Owner, StatementOwner OwnerKind, BillingPeriod Period, DateTimeOffset? ClosedAt, IReadOnlyList<StatementLine> Lines, IReadOnlyList<LoanSettlement> Loans)
{
    /// <summary>True once the period has closed: nothing is added any more.</summary>
    public bool Closed => ClosedAt is not null;

    /// <summary>The sum of every line.</summary>
    public StatementTotal Total => StatementTotal.Of("total", Lines);

    /// <summary>Totals per product, by SKU.</summary>
    public IReadOnlyList<StatementTotal> ByProduct => Group(l => l.Sku);

    /// <summary>Totals per hub where the runs ran.</summary>
    public IReadOnlyList<StatementTotal> ByHub => Group(l => l.HubId);

    /// <summary>Totals per job.</summary>
    public IReadOnlyList<StatementTotal> ByJob => Group(l => l.JobId);

    /// <summary>Totals per data center.</summary>
    public IReadOnlyList<StatementTotal> ByDataCenter => Group(l => l.DataCenterId);

    /// <summary>Totals per tenant (one, on a tenant's statement).</summary>
    public IReadOnlyList<StatementTotal> ByTenant => Group(l => l.Tenant);

    /// <summary>Lines of runs booked after their own period had closed, charged here with their own dates.</summary>
    public int LateLines => Lines.Count(l => l.To <= Period.Start || l.From >= Period.End);

    /// <summary>The loans the runs used, settled in CNY.</summary>
    public IReadOnlyList<LoanTotal> LoanTotals =>
        [.. Loans.GroupBy(l => (l.LoanId, l.Lender, l.Borrower)).OrderBy(g => g.Key.LoanId, StringComparer.Ordinal)
            .Select(g => new LoanTotal(g.Key.LoanId, g.Key.Lender, g.Key.Borrower, g.Sum(l => l.CoreHours), g.Sum(l => l.GpuHours), g.Sum(l => l.AmountCny)))];

    /// <summary>SHA-256 of <see cref="StatementCsv.Write"/>, lower-case hex.</summary>
    public string Digest => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(StatementCsv.Write(this))));

    private List<StatementTotal> Group(Func<StatementLine, string> key) =>
        [.. Lines.GroupBy(key, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => StatementTotal.Of(g.Key, g))];
}

/// <summary>
/// A statement as CSV (RFC 4180, invariant culture, UTC times in ISO 8601): one row per line (<c>kind</c> = charge), one
/// per loan settlement (loan), and a last row with the total (total). Prices and amounts are written as they are (to the
/// fen); quantities, kWh, kgCO2 and PFLOPS-hours in fixed notation with at most <see cref="MeasureDecimals"/> decimals.
/// </summary>
public static class StatementCsv
{
    /// <summary>Most decimals of a quantity, kWh, kgCO2 or PFLOPS-hours (rounded half away from zero): a millionth is below any meter's precision.</summary>
    public const int MeasureDecimals = 6;

    /// <summary>The header row.</summary>
    public const string Header = "kind,period,owner,tenant,jobId,runKey,dataCenterId,hubId,product,from,to,quantity,unit,unitPriceCny,amountCny,energyKwh,carbonKg,pflopsHoursFp16,pflopsHoursFp32,loanId,lender,borrower";

    /// <summary>The CSV of <paramref name="statement"/>, ending with a line break.</summary>
    public static string Write(Statement statement)
    {
        var csv = new StringBuilder(Header).Append("\r\n");
        var p = statement.Period.Id;
        foreach (var l in statement.Lines)
        {
            Row(csv, "charge", p, statement.Owner, l.Tenant, l.JobId, l.RunKey, l.DataCenterId, l.HubId, l.Sku, Time(l.From), Time(l.To), Measure(l.Quantity), l.Unit,
                Number(l.UnitPriceCny), Number(l.AmountCny), Measure(l.EnergyKwh), Measure(l.CarbonKg), Measure(l.PflopsHoursFp16), Measure(l.PflopsHoursFp32), string.Empty, string.Empty, string.Empty);
        }

        foreach (var l in statement.Loans)
        {
            Row(csv, "loan", p, statement.Owner, string.Empty, l.JobId, l.RunKey, string.Empty, l.Lender, string.Empty, string.Empty, string.Empty,
                Measure(l.CoreHours), "core-hour", string.Empty, Number(l.AmountCny), string.Empty, string.Empty, string.Empty, string.Empty, l.LoanId, l.Lender, l.Borrower);
        }

        var t = statement.Total;
        Row(csv, "total", p, statement.Owner, string.Empty, string.Empty, string.Empty, string.Empty, string.Empty, string.Empty, string.Empty, string.Empty, string.Empty, string.Empty,
            string.Empty, Number(t.AmountCny), Measure(t.EnergyKwh), Measure(t.CarbonKg), Measure(t.PflopsHoursFp16), Measure(t.PflopsHoursFp32), string.Empty, string.Empty, string.Empty);
        return csv.ToString();
    }

    private static void Row(StringBuilder csv, params string[] cells)
    {
        csv.AppendJoin(',', cells.Select(Escape)).Append("\r\n");
    }

    private static string Escape(string cell) =>
        cell.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? $"\"{cell.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : cell;

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);

    private static string Number(decimal d) => d.ToString(CultureInfo.InvariantCulture);

    private const string MeasureFormat = "0.######";

    private static string Measure(decimal d) => d.ToString(MeasureFormat, CultureInfo.InvariantCulture);

    private static string Measure(double d) => d.ToString(MeasureFormat, CultureInfo.InvariantCulture);
}

/// <summary>What happens to a run's charge offered to a statement.</summary>
public enum StatementOutcome
{
    /// <summary>Added.</summary>
    Added,

    /// <summary>The run was on the statement already (a repeated booking); nothing changed.</summary>
    Duplicate,

    /// <summary>The statement is closed; nothing changed. The charge goes to the open period of the same kind.</summary>
    Closed,
}

/// <summary>When statements close.</summary>
public static class StatementRules
{
    /// <summary>
    /// The instant a period's statement closes: its end plus <paramref name="grace"/>, the time runs that ended in the
    /// period (or span its end) have to be booked. After it, the statement never changes.
    /// </summary>
    public static DateTimeOffset ClosesAt(BillingPeriod period, TimeSpan grace) => period.End + grace;

    /// <summary>The statement's key for a grain or a file: <c>tenant:acme:2025-03</c>, <c>data-center:guian:2025-03-14</c>.</summary>
    public static string KeyOf(StatementOwner owner, string id, BillingPeriod period) =>
        $"{(owner == StatementOwner.Tenant ? "tenant" : "data-center")}:{id}:{period.Id}";
}
