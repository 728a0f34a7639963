using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace ComputeGrid.Gateway.Tests.Docs;

/// <summary>
/// The <c>curl</c> examples of README.md and docs/api.md, run as written (by bash, with the system's curl) in document
/// order against the silo of the one run command, each answering the status its text documents.
/// </summary>
public sealed partial class CurlExampleTests(DevelopmentSilo silo) : IClassFixture<DevelopmentSilo>
{
    /// <summary>The documents whose examples are run, in this order.</summary>
    private static readonly string[] Documents = ["README.md", "docs/api.md"];

    /// <summary>Every example's request and the status the documents give for it, in document order.</summary>
    private static readonly (string Request, int Status)[] Documented =
    [
        ("GET /v1/pool", 200),
        ("POST /v1/jobs", 400),                                         // "tenant" is not a field of the request
        ("POST /v1/jobs", 201),                                         // Idempotency-Key etl-2026-11-25
        ("GET /v1/jobs/acme.etl-2026-11-25", 200),
        ("POST /v1/jobs/acme.etl-2026-11-25/cancel", 200),
        ("POST /v1/jobs", 201),                                         // Idempotency-Key train-after-etl: afterany on the cancelled job, placed at once
        ("GET /v1/jobs?limit=2", 200),
        ("GET /v1/jobs?limit=2&state=Cancelled", 200),
        ("POST /v1/jobs", 201),                                         // Idempotency-Key short-one
        ("GET /v1/jobs/acme.short-one/events", 200),
        ("GET /v1/pool", 200),
        ("GET /v1/hubs", 200),
        ("GET /v1/hubs/guizhou/data-centers", 200),
        ("GET /v1/tenant", 200),
        ("GET /v1/loans?hubId=yangtze&state=Active", 200),
        ("GET /v1/loans/<loanId>", 200),
        ("GET /v1/balances", 200),
        ("POST /v1/jobs", 422),                                         // cg-dev-partner-acme-cmd: valid, but no agent runs acme's commands yet
        ("POST /v1/data-centers", 201),
        ("POST /v1/data-centers/horinger-2/drain", 200),
        ("POST /v1/data-centers/horinger-2/resume", 200),
        ("DELETE /v1/data-centers/horinger-2", 204),
        ("GET /v1/ops/federation", 200),
        ("POST /v1/tenants/acme/api-keys", 201),
        ("GET /v1/tenants/acme/api-keys", 200),
        ("POST /v1/tenants/acme/api-keys/<keyId>/rotate", 201),
        ("DELETE /v1/tenants/acme/api-keys/<keyId>", 204),               // the rotated key, in its grace
        ("GET /v1/audit?limit=20", 200),
        ("POST /v1/job-arrays", 201),                                   // Idempotency-Key render-2026-11-25
        ("GET /v1/job-arrays/acme.render-2026-11-25", 200),
        ("GET /v1/job-arrays/acme.render-2026-11-25/elements?limit=2", 200),
        ("POST /v1/job-arrays/acme.render-2026-11-25/cancel", 200),
        ("GET /v1/job-arrays/acme.render-2026-11-25/events", 200),
        ("POST /v1/gangs", 201),                                        // Idempotency-Key train-2026-11-25
        ("GET /v1/gangs/acme.train-2026-11-25", 200),
        ("POST /v1/gangs/acme.train-2026-11-25/cancel", 200),
        ("POST /v1/reservations", 201),                                 // Idempotency-Key training-window
        ("GET /v1/reservations/acme.training-window", 200),
        ("GET /v1/reservations", 200),
        ("POST /v1/reservations/acme.training-window/cancel", 200),
        ("GET /openapi/v1.json", 200),
    ];

    [Fact]
    public async Task Every_documented_curl_example_answers_its_documented_status_from_the_development_silo()
    {
        var examples = Documents.SelectMany(d => Examples(RepositoryFiles.Read(d))).ToList();
        Assert.Equal(Documented.Select(d => d.Request), examples.Select(RequestLine));

        var work = Directory.CreateTempSubdirectory("curl-examples-");
        try
        {
            var answers = new List<string>();
            foreach (var (example, (request, status)) in examples.Zip(Documented))
            {
                var answered = await RunAsync(await ForTheTestSiloAsync(example), work.FullName);
                answers.Add(answered == status ? $"{request}: {answered}" : $"{request}: {answered}, documented {status} <-- {example}");
            }

            Assert.Equal(Documented.Select(d => $"{d.Request}: {d.Status}"), answers);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_curl_example_is_read_whole_across_continued_lines_and_quoted_bodies()
    {
        const string markdown = """
            ```bash
            curl -s http://localhost:8080/v1/jobs \
              -H 'X-API-Key: k' -d '{
                "originHub": "gba"
              }'
            node other-command.js
            curl -s -X DELETE http://localhost:8080/v1/data-centers/x
            ```
            """;

        var examples = Examples(markdown);

        Assert.Equal(["POST /v1/jobs", "DELETE /v1/data-centers/x"], examples.Select(RequestLine));
        Assert.EndsWith("}'", examples[0], StringComparison.Ordinal);
    }

    /// <summary>
    /// The curl commands of the bash blocks: from a line starting with <c>curl</c> to the line that ends it (no
    /// trailing backslash, every single quote closed).
    /// </summary>
    private static List<string> Examples(string markdown)
    {
        var examples = new List<string>();
        foreach (var block in RepositoryFiles.CodeBlocks(markdown, "bash"))
        {
            List<string>? current = null;
            foreach (var line in block.Split('\n'))
            {
                if (current is null && !line.TrimStart().StartsWith("curl ", StringComparison.Ordinal))
                {
                    continue;
                }

                current ??= [];
                current.Add(line);
                var text = string.Join('\n', current);
                if (!line.TrimEnd().EndsWith('\\') && text.Count(c => c == '\'') % 2 == 0)
                {
                    examples.Add(text.Trim());
                    current = null;
                }
            }
        }

        return examples;
    }

    /// <summary>The example's method and path with query: <c>-X</c>, else POST with a body, else GET.</summary>
    private static string RequestLine(string example)
    {
        var method = MethodOption().Match(example) is { Success: true } m ? m.Groups[1].Value
            : example.Contains(" -d ", StringComparison.Ordinal) ? "POST"
            : "GET";
        return $"{method} {Url().Match(example).Groups[1].Value}";
    }

    /// <summary>The example with the test silo's address, a loan that exists and acme's oldest issued key.</summary>
    private async Task<string> ForTheTestSiloAsync(string example)
    {
        var text = example
            .Replace("http://localhost:8080", silo.BaseAddress.GetLeftPart(UriPartial.Authority), StringComparison.Ordinal);
        if (text.Contains("<loanId>", StringComparison.Ordinal))
        {
            // The Greenest etl job earlier in the documents makes Yangtze borrow from Guizhou; its loan stays listed.
            var loanId = "";
            await Eventually.TrueAsync(async () => (loanId = (await silo.Grid.ListLoansAsync()).Loans is [var first, ..] ? first.LoanId : "") != "", "a loan exists");
            text = text.Replace("<loanId>", loanId, StringComparison.Ordinal);
        }

        if (text.Contains("<keyId>", StringComparison.Ordinal))
        {
            text = text.Replace("<keyId>", (await silo.Grid.Admin.ListApiKeysAsync("acme"))[^1].KeyId, StringComparison.Ordinal);
        }

        return text;
    }

    /// <summary>Runs the example with bash in <paramref name="workingDirectory"/> and returns the HTTP status curl received.</summary>
    private static async Task<int> RunAsync(string example, string workingDirectory)
    {
        var headers = Path.Combine(workingDirectory, "headers.txt");
        File.Delete(headers);
        var start = new ProcessStartInfo("bash")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"curl --max-time 20 -D '{headers}' " + example.TrimStart()["curl ".Length..]);
        using var process = Process.Start(start)!;
        var output = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(deadline.Token);
        var printed = await output;
        Assert.True(process.ExitCode == 0, $"curl exited {process.ExitCode}: {printed[1]}\n{printed[0]}\n{example}");
        var status = File.ReadLines(headers).Select(l => StatusLine().Match(l)).LastOrDefault(m => m.Success);
        Assert.True(status is not null, $"no status line from: {example}");
        return int.Parse(status.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"-X\s+([A-Z]+)")]
    private static partial Regex MethodOption();

    [GeneratedRegex(@"http://localhost:8080([^\s']*)")]
    private static partial Regex Url();

    [GeneratedRegex(@"^HTTP/[0-9.]+\s+([0-9]{3})")]
    private static partial Regex StatusLine();
}
