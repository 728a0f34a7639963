using System.Globalization;
using System.Security;
using System.Text;
using ComputeGrid.Replay.Running;

namespace ComputeGrid.Replay.Reports;

/// <summary>Charts for the report as plain SVG text: no scripts, fonts or anything fetched from the network.</summary>
public static class SvgCharts
{
    private const int Width = 760, Height = 360, Left = 60, Right = 150, Top = 40, Bottom = 50;
    private static readonly string[] Colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    /// <summary>Utilisation of every hub over the trace's time (one line per hub), 0..100%.</summary>
    public static string Utilisation(string title, IReadOnlyList<UtilisationSample> samples, bool gpu)
    {
        var svg = Begin(title);
        var plotW = Width - Left - Right;
        var plotH = Height - Top - Bottom;
        var maxT = samples.Count == 0 ? 1 : Math.Max(1, samples[^1].At.TotalDays);
        var hubs = samples.SelectMany(s => (gpu ? s.Gpu : s.Cpu).Keys).Distinct().Order(StringComparer.Ordinal).ToList();
        var peak = Math.Max(0.01, samples.SelectMany(s => (gpu ? s.Gpu : s.Cpu).Values).DefaultIfEmpty(0).Max());
        var top = Math.Min(1, Math.Ceiling(peak * 10) / 10);
        Axes(svg, $"days since trace start (0..{maxT:F0})", $"{(gpu ? "GPU" : "CPU")} utilisation (0..{top:P0})");
        for (var i = 0; i < hubs.Count; i++)
        {
            var points = string.Join(' ', samples.Select(s =>
            {
                var v = (gpu ? s.Gpu : s.Cpu).GetValueOrDefault(hubs[i]);
                return F(Left + (s.At.TotalDays / maxT * plotW)) + "," + F(Top + plotH - (v / top * plotH));
            }));
            var colour = Colours[i % Colours.Length];
            svg.Append(CultureInfo.InvariantCulture, $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\" points=\"{points}\"/>\n");
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Width - Right + 10}\" y=\"{Top + (i * 18)}\" width=\"12\" height=\"12\" fill=\"{colour}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width - Right + 28}\" y=\"{Top + (i * 18) + 11}\">{Escape(hubs[i])}</text>\n");
        }

        return End(svg);
    }

    /// <summary>A bar per policy: its carbon, kgCO2, labelled with the value.</summary>
    public static string Carbon(string title, IReadOnlyList<PolicyRow> rows)
    {
        var svg = Begin(title);
        var plotW = Width - Left - Right;
        var plotH = Height - Top - Bottom;
        var max = Math.Max(1e-9, rows.Select(r => r.CarbonKg).DefaultIfEmpty(0).Max());
        Axes(svg, "policy", $"kgCO2 (0..{max:N0})");
        var slot = plotW / (double)Math.Max(1, rows.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var h = rows[i].CarbonKg / max * plotH;
            var x = Left + (i * slot) + (slot * 0.15);
            svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{F(x)}\" y=\"{F(Top + plotH - h)}\" width=\"{F(slot * 0.7)}\" height=\"{F(h)}\" fill=\"{Colours[i % Colours.Length]}\"/>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(x + (slot * 0.35))}\" y=\"{F(Top + plotH - h - 4)}\" text-anchor=\"middle\">{rows[i].CarbonKg:N0}</text>");
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{F(x + (slot * 0.35))}\" y=\"{Top + plotH + 16}\" text-anchor=\"middle\">{Escape(rows[i].Policy)}</text>\n");
        }

        return End(svg);
    }

    private static StringBuilder Begin(string title) =>
        new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n")
            .Append(CultureInfo.InvariantCulture, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n")
            .Append(CultureInfo.InvariantCulture, $"<text x=\"{Width / 2}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{Escape(title)}</text>\n");

    private static void Axes(StringBuilder svg, string xLabel, string yLabel)
    {
        var bottom = Height - Bottom;
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{bottom}\" stroke=\"black\"/>");
        svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{bottom}\" x2=\"{Width - Right}\" y2=\"{bottom}\" stroke=\"black\"/>\n");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 10}\" text-anchor=\"middle\">{Escape(xLabel)}</text>");
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"14\" y=\"{(Top + bottom) / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {(Top + bottom) / 2})\">{Escape(yLabel)}</text>\n");
    }

    private static string End(StringBuilder svg) => svg.Append("</svg>\n").ToString();

    private static string F(double v) => v.ToString("F1", CultureInfo.InvariantCulture);

    private static string Escape(string text) => SecurityElement.Escape(text);
}
