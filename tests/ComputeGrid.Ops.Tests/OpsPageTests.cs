using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace ComputeGrid.Ops.Tests;

/// <summary>
/// The federation view in a real browser: headless Chromium (Debian package <c>chromium</c>) driven by playwright-core from
/// <c>browser/ops-page.mjs</c> (<c>npm ci</c> there; scripts/test.sh does it) against the real silo host, while jobs flow.
/// </summary>
[Collection(SiloHostCollection.Name)]
public sealed class OpsPageTests(SiloHostFixture host)
{
    private static readonly string[] Hubs = ["bth", "yangtze", "gba", "chengyu", "inner-mongolia", "guizhou", "gansu", "ningxia"];

    [Fact]
    public async Task The_ops_page_draws_every_hub_and_its_Chinese_title_and_updates_loans_and_totals_live_as_jobs_flow()
    {
        var screenshot = Path.Combine(RepositoryRoot(), "artifacts", "ops-page.png");
        var browser = BrowserTest.Start(
            screenshot,
            "--url", host.BaseAddress.ToString(), "--key", SiloHostFixture.OperatorKey, "--partner-key", SiloHostFixture.PartnerKey,
            "--screenshot", screenshot, "--expect-arrow", "yangtze->guizhou");
        string? borrowingJobId = null;
        try
        {
            var ready = await browser.NextAsync();
            Assert.True(ready.GetProperty("event").GetString() == "ready", ready.ToString());
            var before = ready.GetProperty("snapshot");
            Assert.Equal(Hubs.Order(), Strings(before, "hubsOnMap").Order());
            Assert.Equal(Hubs.Order(), Strings(before, "hubRows").Order());
            Assert.False(before.GetProperty("keyFormVisible").GetBoolean(), "the key form gives way to the view");
            Assert.Equal(3, before.GetProperty("targets").GetProperty("guizhou").GetArrayLength());
            Assert.True(before.GetProperty("pairRows").GetInt32() >= 0);
            Assert.Equal("东数西算", before.GetProperty("titleChinese").GetString());
            Assert.True(
                before.GetProperty("titleGlyphsDrawn").GetBoolean(),
                $"the title's Chinese is drawn as boxes (fonts used: {string.Join(", ", Strings(before, "titleFonts"))}): install a CJK font, the Debian package fonts-noto-cjk (scripts/test.sh does it)");

            // A Greenest batch job from Yangtze runs in Guizhou under a loan (Guizhou only: when the origin asks every peer,
            // the first to offer lends, which may be another western hub); a short job in the GBA finishes.
            var borrowing = await host.SubmitAsync(new
            {
                originHub = "yangtze", resources = new { cpuMillicores = 4000, memoryMiB = 8192 }, runTimeSeconds = 3600, latencyClass = "Batch", policy = "Greenest",
                allowedHubs = new[] { "guizhou" },
            });
            borrowingJobId = borrowing.GetProperty("jobId").GetString()!;
            var finishing = await host.SubmitAsync(new { originHub = "gba", resources = new { cpuMillicores = 2000, memoryMiB = 4096 }, runTimeSeconds = 1, allowedHubs = new[] { "gba" } });
            var finishingJobId = finishing.GetProperty("jobId").GetString()!;
            await Eventually.TrueAsync(async () => await host.StateOfAsync(borrowingJobId) is "Scheduled" or "Running", "the Yangtze job is placed under a loan", TimeSpan.FromSeconds(60));
            await Eventually.TrueAsync(async () => await host.StateOfAsync(finishingJobId) == "Succeeded", "the GBA job succeeds", TimeSpan.FromSeconds(60));
            await browser.SendAsync("jobs-submitted");

            var changed = await browser.NextAsync();
            Assert.True(changed.GetProperty("event").GetString() == "changed", changed.ToString());
            var after = changed.GetProperty("snapshot");
            Assert.True(after.GetProperty("sameDocument").GetBoolean(), "the page updated without reloading");
            var arrow = after.GetProperty("arrows").EnumerateArray().Single(a => a.GetProperty("id").GetString() == "yangtze->guizhou");
            Assert.True(arrow.GetProperty("cores").GetDouble() >= 4, arrow.ToString());
            Assert.True(arrow.GetProperty("eastToWest").GetBoolean());
            Assert.Contains("cores", arrow.GetProperty("label").GetString(), StringComparison.Ordinal);
            Assert.True(after.GetProperty("pairRows").GetInt32() >= 1, "the loans table lists the pair");
            Assert.True(Number(after, "totals", "energy") > Number(before, "totals", "energy"), "total energy grew");
            Assert.True(Number(after, "totals", "carbon") > Number(before, "totals", "carbon"), "total carbon grew");
            Assert.True(Number(after, "totals", "finished") > Number(before, "totals", "finished"), "finished jobs grew");
            Assert.True(Number(after, "totals", "loans") >= 1);
            Assert.True(Number(after, "hubUsedCores", "guizhou") >= Number(before, "hubUsedCores", "guizhou") + 4, "Guizhou's use grew by the loan");
            Assert.True(Number(after, "flow", "borrowed-cores") >= Number(before, "flow", "borrowed-cores") + 4, "the east-to-west flow grew");
            Assert.True(new FileInfo(screenshot).Length > 10_000, $"{screenshot} holds a screenshot");
        }
        finally
        {
            await browser.DisposeAsync();
            if (borrowingJobId is not null)
            {
                using var http = host.Client(SiloHostFixture.PartnerKey);
                using var cancelled = await http.PostAsync(new Uri($"v1/jobs/{borrowingJobId}/cancel", UriKind.Relative), null);
            }
        }
    }

    [Fact]
    public async Task Under_load_the_ops_page_keeps_every_label_apart_fits_its_tables_in_1366_px_and_shows_the_targets_without_scrolling_at_1920x1080()
    {
        var jobs = await SubmitLoadAsync();
        var directory = Path.Combine(RepositoryRoot(), "artifacts");
        var browser = BrowserTest.Start(
            Path.Combine(directory, "ops-error.png"),
            "--mode", "layout", "--url", host.BaseAddress.ToString(), "--key", SiloHostFixture.OperatorKey,
            "--screenshot-dir", directory, "--min-arrows", LoadPairs.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            var small = await NextOfAsync(browser, "layout");
            var drilldown = await NextOfAsync(browser, "drilldown");
            var large = await NextOfAsync(browser, "layout");

            foreach (var (layout, width, height) in new[] { (small, 1366, 768), (large, 1920, 1080) })
            {
                var at = $"at {width}x{height}";
                Assert.Equal(width, layout.GetProperty("viewportWidth").GetInt32());
                Assert.True(layout.GetProperty("arrows").GetInt32() >= LoadPairs, $"one arrow per pair of hubs {at}");
                Assert.Equal(Hubs.Length, layout.GetProperty("hubLabels").GetInt32());
                Assert.True(layout.GetProperty("overlapping").GetArrayLength() == 0, $"labels overlap {at}: {layout.GetProperty("overlapping")}");
                Assert.True(layout.GetProperty("outsideMap").GetArrayLength() == 0, $"labels leave the map {at}: {layout.GetProperty("outsideMap")}");
                foreach (var table in layout.GetProperty("tables").EnumerateArray())
                {
                    Assert.True(
                        table.GetProperty("scrollWidth").GetInt32() <= table.GetProperty("clientWidth").GetInt32(),
                        $"{table.GetProperty("id").GetString()} scrolls sideways {at}: {table}");
                }

                Assert.True(layout.GetProperty("documentScrollWidth").GetInt32() <= width, $"the page scrolls sideways {at}");
                Assert.Equal(Hubs.Length, layout.GetProperty("targetRows").GetInt32());
                Assert.True(layout.GetProperty("provinces").GetInt32() >= 34, "China's provinces are drawn");
                Assert.Equal(Hubs.Order(), layout.GetProperty("hubProvinces").EnumerateArray().Select(e => e.GetString()!).Order());
                Assert.Equal(5, layout.GetProperty("charts").GetInt32());
                Assert.True(layout.GetProperty("trendPoints").GetInt32() >= 2, "the trends have points");
                Assert.Contains(layout.GetProperty("arrays").EnumerateArray(), a => a.GetProperty("count").GetInt32() == LoadArrayCount);
                Assert.True(
                    layout.GetProperty("hubLabelGlyphsDrawn").GetBoolean(),
                    $"the map's Chinese ({layout.GetProperty("hubLabelChinese").GetString()}) is drawn as boxes: install fonts-noto-cjk (scripts/test.sh does it)");
                Assert.True(new FileInfo(layout.GetProperty("screenshot").GetString()!).Length > 10_000, $"a screenshot {at}");
            }

            Assert.True(large.GetProperty("targetsBottom").GetDouble() <= 1080, $"the targets end below the fold at 1920x1080: {large.GetProperty("targetsBottom")}");
            Assert.Contains("Open loans", drilldown.GetProperty("tooltip").GetString(), StringComparison.Ordinal);
            Assert.Contains("Cores lent", drilldown.GetProperty("tooltip").GetString(), StringComparison.Ordinal);
            Assert.True(drilldown.GetProperty("loans").GetInt32() >= 1, $"the drill-down lists the pair's loans: {drilldown}");
        }
        finally
        {
            await browser.DisposeAsync();
            using var http = host.Client(SiloHostFixture.PartnerKey);
            await Task.WhenAll(jobs.Select(async id =>
            {
                using var cancelled = await http.PostAsync(new Uri($"v1/jobs/{id}/cancel", UriKind.Relative), null);
            }));
        }
    }

    [Fact]
    public async Task The_ops_page_is_served_without_a_key_under_a_policy_that_keeps_it_to_its_own_origin()
    {
        using var http = new HttpClient { BaseAddress = host.BaseAddress };

        using var page = await http.GetAsync(new Uri("ops", UriKind.Relative));
        using var script = await http.GetAsync(new Uri("ops/ops.js", UriKind.Relative));
        using var styles = await http.GetAsync(new Uri("ops/ops.css", UriKind.Relative));
        using var vendor = await http.GetAsync(new Uri("ops/vendor.js", UriKind.Relative));
        using var vendorStyles = await http.GetAsync(new Uri("ops/vendor.css", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        var html = await page.Content.ReadAsStringAsync();
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"/dashboard/\"", html, StringComparison.Ordinal);
        Assert.Contains("management port", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, styles.StatusCode);
        Assert.Equal("text/css", styles.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, vendor.StatusCode);
        Assert.Equal("text/javascript", vendor.Content.Headers.ContentType?.MediaType);
        Assert.Contains("window.OpsVendor", await vendor.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, vendorStyles.StatusCode);
        Assert.Contains(".uplot", await vendorStyles.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_federation_feed_answers_operators_and_refuses_partners_and_requests_without_a_key()
    {
        using var anonymous = new HttpClient { BaseAddress = host.BaseAddress };
        using var partner = host.Client(SiloHostFixture.PartnerKey);
        using var operatorClient = host.Client(SiloHostFixture.OperatorKey);
        var feed = new Uri("v1/ops/federation", UriKind.Relative);

        using var none = await anonymous.GetAsync(feed);
        using var refused = await partner.GetAsync(feed);
        using var answered = await operatorClient.GetAsync(feed);

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("application/problem+json", none.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("X-API-Key", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
        Assert.True(answered.Headers.CacheControl?.NoStore);
        var view = await answered.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(8, view.GetProperty("hubs").GetArrayLength());
        var guizhou = view.GetProperty("hubs").EnumerateArray().Single(h => h.GetProperty("id").GetString() == "guizhou");
        Assert.Equal("West", guizhou.GetProperty("zone").GetString());
        Assert.Equal(1.2, guizhou.GetProperty("targets").GetProperty("pue").GetProperty("target").GetDouble());
        Assert.Equal(0.8, view.GetProperty("targets").GetProperty("minGreenShare").GetDouble());
    }

    /// <summary>Pairs of hubs the load borrows between: every eastern hub from every western one.</summary>
    private const int LoadPairs = 16;

    /// <summary>Elements of the job array the load submits.</summary>
    private const int LoadArrayCount = 40;

    /// <summary>
    /// The pool under load as an operator met it: jobs of every eastern hub that may run only in one western hub (so each
    /// borrows there, several loans per pair), an hour long, and a job array; waits until the feed shows every pair.
    /// </summary>
    private async Task<List<string>> SubmitLoadAsync()
    {
        string[] east = ["bth", "yangtze", "gba", "chengyu"];
        string[] west = ["inner-mongolia", "guizhou", "gansu", "ningxia"];
        var jobs = new List<string>();
        foreach (var origin in east)
        {
            foreach (var lender in west)
            {
                for (var i = 0; i < 5; i++)
                {
                    var job = await host.SubmitAsync(new
                    {
                        originHub = origin, resources = new { cpuMillicores = 8000 + (1000 * i), memoryMiB = 8192 }, runTimeSeconds = 3600,
                        latencyClass = "Batch", allowedHubs = new[] { lender },
                    });
                    jobs.Add(job.GetProperty("jobId").GetString()!);
                }
            }
        }

        using var http = host.Client(SiloHostFixture.PartnerKey);
        using var array = await http.PostAsJsonAsync(
            new Uri("v1/job-arrays", UriKind.Relative),
            new { count = LoadArrayCount, template = new { originHub = "gba", resources = new { cpuMillicores = 500, memoryMiB = 512 }, runTimeSeconds = 5, allowedHubs = new[] { "gba" } } });
        Assert.True(array.IsSuccessStatusCode, await array.Content.ReadAsStringAsync());

        using var operatorClient = host.Client(SiloHostFixture.OperatorKey);
        await Eventually.TrueAsync(
            async () => (await operatorClient.GetFromJsonAsync<JsonElement>(new Uri("v1/ops/federation", UriKind.Relative))).GetProperty("arrows").GetArrayLength() >= LoadPairs,
            "every eastern hub borrows from every western hub",
            TimeSpan.FromSeconds(90));
        return jobs;
    }

    private static async Task<JsonElement> NextOfAsync(BrowserTest browser, string expected)
    {
        var line = await browser.NextAsync();
        Assert.True(line.GetProperty("event").GetString() == expected, $"expected {expected}: {line}");
        return line.GetProperty(expected);
    }

    private static IEnumerable<string> Strings(JsonElement snapshot, string property) =>
        snapshot.GetProperty(property).EnumerateArray().Select(e => e.GetString()!);

    private static double Number(JsonElement snapshot, string group, string name) => snapshot.GetProperty(group).GetProperty(name).GetDouble();

    /// <summary>The node script as a process: one JSON object per stdout line, commands on stdin.</summary>
    private sealed class BrowserTest : IAsyncDisposable
    {
        private static readonly TimeSpan LineTimeout = TimeSpan.FromSeconds(120);
        private readonly Process _process;
        private readonly StringWriter _stderr = new();

        private BrowserTest(Process process)
        {
            _process = process;
            _process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    lock (_stderr)
                    {
                        _stderr.WriteLine(e.Data);
                    }
                }
            };
            _process.BeginErrorReadLine();
        }

        /// <summary>Starts ops-page.mjs with <paramref name="arguments"/> (Chromium's path added); <paramref name="screenshot"/> is where it saves its pictures.</summary>
        public static BrowserTest Start(string screenshot, params string[] arguments)
        {
            var folder = Path.Combine(RepositoryRoot(), "tests", "ComputeGrid.Ops.Tests", "browser");
            Assert.True(
                Directory.Exists(Path.Combine(folder, "node_modules", "playwright-core")),
                $"playwright-core is missing: run scripts/test.sh, the README's test command (it runs 'npm ci' in {folder}; node must be on PATH)");
            var chromium = Chromium();
            Assert.True(
                chromium is not null,
                "Chromium is missing: run scripts/test.sh, the README's test command (it installs the Debian package 'chromium'), or set CHROMIUM_PATH");
            Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
            var start = new ProcessStartInfo("node")
            {
                WorkingDirectory = folder,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var argument in new[] { "ops-page.mjs", "--chromium", chromium! }.Concat(arguments))
            {
                start.ArgumentList.Add(argument);
            }

            try
            {
                return new BrowserTest(Process.Start(start)!);
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new InvalidOperationException($"node could not be started ({e.Message}): Node.js must be on PATH for the ops page's browser test", e);
            }
        }

        /// <summary>The script's next JSON line, within a deadline.</summary>
        public async Task<JsonElement> NextAsync()
        {
            using var timeout = new CancellationTokenSource(LineTimeout);
            string? line;
            try
            {
                line = await _process.StandardOutput.ReadLineAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"ops-page.mjs printed nothing within {LineTimeout.TotalSeconds} s; stderr: {Errors()}");
            }

            Assert.True(line is not null, $"ops-page.mjs ended without an answer; stderr: {Errors()}");
            return JsonDocument.Parse(line!).RootElement.Clone();
        }

        public async Task SendAsync(string command)
        {
            await _process.StandardInput.WriteLineAsync(command);
            await _process.StandardInput.FlushAsync();
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close();
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                try
                {
                    await _process.WaitForExitAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                }
            }

            _process.Dispose();
        }

        private string Errors()
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }

        private static string? Chromium()
        {
            var configured = Environment.GetEnvironmentVariable("CHROMIUM_PATH");
            if (!string.IsNullOrEmpty(configured))
            {
                return File.Exists(configured) ? configured : null;
            }

            return new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);
        }

    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ComputeGrid.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("ComputeGrid.sln not found above the test assembly");
    }
}
