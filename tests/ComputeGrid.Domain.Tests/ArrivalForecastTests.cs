using ComputeGrid.Domain.Loans;
using ComputeGrid.Domain.Resources;

namespace ComputeGrid.Domain.Tests;

/// <summary>What a borrower's recent arrivals predict it will hold at a peer: arrival rate over the window x time held within the horizon.</summary>
public class ArrivalForecastTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan Horizon = TimeSpan.FromHours(1);

    private sealed record Arrival(string Hub, ResourceRequest Resources, TimeSpan RunTime, TimeSpan Ago);

    private sealed record ForecastCase(Arrival[] Arrivals, string[] Hubs, ResourceVector Predicted, TimeSpan? Window = null);

    private static Arrival Cores(int cores, double runHours = 4, double minutesAgo = 0, string hub = "guizhou") =>
        new(hub, new ResourceRequest(cores * 1_000L, cores * 4_096L), TimeSpan.FromHours(runHours), TimeSpan.FromMinutes(minutesAgo));

    private static Arrival Gpu(double minutesAgo) =>
        new("guizhou", new ResourceRequest(1_000, 1_024, 1, "910B"), TimeSpan.FromMinutes(25), TimeSpan.FromMinutes(minutesAgo));

    private static readonly Dictionary<string, ForecastCase> Cases = new()
    {
        ["nothing arrived predicts nothing"] = new([], ["guizhou"], ResourceVector.Zero),
        ["a single arrival is no rate and predicts nothing"] = new([Cores(4)], ["guizhou"], ResourceVector.Zero),
        ["arrivals at one instant (a batch) are no rate either"] = new([Cores(4), Cores(4), Cores(4)], ["guizhou"], ResourceVector.Zero),
        ["two arrivals that run past the horizon predict one gap's worth: horizon / window copies of one"] = new(
            [Cores(4, minutesAgo: 5), Cores(4)], ["guizhou"], ResourceVector.Of(24_000, 24 * 4_096)),
        ["an arrival shorter than the horizon counts for its run time only"] = new(
            [Cores(4, runHours: 0.25, minutesAgo: 1), Cores(4, runHours: 0.25)], ["guizhou"], ResourceVector.Of(6_000, 6 * 4_096)),
        ["every arrival within the window adds to the rate"] = new(
            [Cores(4, minutesAgo: 9), Cores(4, minutesAgo: 5), Cores(4)], ["guizhou"], ResourceVector.Of(48_000, 48 * 4_096)),
        ["an arrival a whole window ago or older is forgotten"] = new(
            [Cores(4, minutesAgo: 30), Cores(4, minutesAgo: 10), Cores(2, minutesAgo: 1), Cores(2)], ["guizhou"], ResourceVector.Of(12_000, 12 * 4_096)),
        ["arrivals for another peer do not count"] = new(
            [Cores(4, hub: "gansu"), Cores(2, minutesAgo: 1), Cores(2)], ["guizhou"], ResourceVector.Of(12_000, 12 * 4_096)),
        ["a request to several peers counts the arrivals of each"] = new(
            [Cores(4, minutesAgo: 1, hub: "gansu"), Cores(2)], ["guizhou", "gansu"], ResourceVector.Of(18_000, 18 * 4_096)),
        ["a GPU arrival predicts GPUs of its model, rounded up"] = new(
            [Gpu(minutesAgo: 1), Gpu(minutesAgo: 0)], ["guizhou"], ResourceVector.Of(2_500, 2_560, [new("910B", 3)])),
        ["a zero window turns the forecast off"] = new([Cores(4, minutesAgo: 1), Cores(4)], ["guizhou"], ResourceVector.Zero, TimeSpan.Zero),
    };

    public static TheoryData<string> Scenarios => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Recent_arrivals_predict_their_rate_times_the_time_each_holds_its_resources_within_the_horizon(string scenario)
    {
        var c = Cases[scenario];
        var forecast = new ArrivalForecast(c.Window ?? Window);
        foreach (var a in c.Arrivals.OrderByDescending(a => a.Ago))
        {
            forecast.Note(a.Hub, a.Resources, a.RunTime, Now - a.Ago);
        }

        Assert.Equal(c.Predicted, forecast.Predict(c.Hubs, Horizon, Now));
    }

    [Fact]
    public void A_shorter_horizon_predicts_less_and_a_zero_horizon_nothing()
    {
        var forecast = new ArrivalForecast(Window);
        forecast.Note("guizhou", new ResourceRequest(4_000, 4_096), TimeSpan.FromHours(4), Now.AddMinutes(-1));
        forecast.Note("guizhou", new ResourceRequest(4_000, 4_096), TimeSpan.FromHours(4), Now);

        Assert.Equal(ResourceVector.Of(8_000, 8_192), forecast.Predict(["guizhou"], TimeSpan.FromMinutes(20), Now));
        Assert.Equal(ResourceVector.Zero, forecast.Predict(["guizhou"], TimeSpan.Zero, Now));
    }

    [Fact]
    public void The_window_slides_with_the_clock()
    {
        var forecast = new ArrivalForecast(Window);
        forecast.Note("guizhou", new ResourceRequest(4_000, 4_096), TimeSpan.FromHours(4), Now);
        forecast.Note("guizhou", new ResourceRequest(4_000, 4_096), TimeSpan.FromHours(4), Now.AddMinutes(1));

        Assert.Equal(ResourceVector.Of(24_000, 24_576), forecast.Predict(["guizhou"], Horizon, Now.AddMinutes(9)));
        Assert.Equal(ResourceVector.Zero, forecast.Predict(["guizhou"], Horizon, Now.AddMinutes(10)));
    }
}
