using System.Globalization;

namespace ComputeGrid.Domain;

/// <summary>
/// Numbers in sentences people read (placement reasons, job events): three significant digits in plain notation (never
/// <c>1.62E-05</c>), the same in every culture, always with a unit. Carbon and energy take the prefix that keeps the
/// number readable (mg, g, kg or t of CO2; Wh, kWh or MWh).
/// </summary>
public static class Quantity
{
    /// <summary><paramref name="value"/> rounded to 3 significant digits, in plain notation (0.0000162, 1.62, 16200).</summary>
    public static string Number(double value)
    {
        if (value == 0 || !double.IsFinite(value))
        {
            return value == 0 ? "0" : value.ToString(CultureInfo.InvariantCulture);
        }

        var magnitude = (int)Math.Floor(Math.Log10(Math.Abs(value)));
        var scale = Math.Pow(10, magnitude - 2);
        var rounded = Math.Round(value / scale) * scale;

        // Rounding may carry into the next power of ten (999.6 -> 1000): one digit fewer after the point then.
        if (Math.Abs(rounded) >= Math.Pow(10, magnitude + 1))
        {
            magnitude++;
        }

        var decimals = Math.Clamp(2 - magnitude, 0, 20);
        return rounded.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    /// <summary>Emissions given in kgCO2: in mgCO2 below 1 g, gCO2 below 1 kg, tCO2 from 1,000 kg.</summary>
    public static string Carbon(double kg) => Math.Abs(kg) switch
    {
        0 => "0 kgCO2",
        < 0.001 => $"{Number(kg * 1_000_000)} mgCO2",
        < 1 => $"{Number(kg * 1000)} gCO2",
        >= 1000 => $"{Number(kg / 1000)} tCO2",
        _ => $"{Number(kg)} kgCO2",
    };

    /// <summary>Energy given in kWh: in Wh below 1 kWh, MWh from 1,000 kWh.</summary>
    public static string Energy(double kwh) => Math.Abs(kwh) switch
    {
        0 => "0 kWh",
        < 1 => $"{Number(kwh * 1000)} Wh",
        >= 1000 => $"{Number(kwh / 1000)} MWh",
        _ => $"{Number(kwh)} kWh",
    };

    /// <summary>A cost in CNY.</summary>
    public static string Cost(double cny) => $"{Number(cny)} CNY";

    /// <summary>A latency in ms.</summary>
    public static string Latency(double ms) => $"{Number(ms)} ms";
}
