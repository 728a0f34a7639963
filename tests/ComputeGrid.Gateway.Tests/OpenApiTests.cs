using System.Net;
using System.Text.Json;

namespace ComputeGrid.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class OpenApiTests(GatewayFixture fixture)
{
    private static readonly string[] Methods = ["get", "post", "put", "delete", "patch"];

    [Fact]
    public async Task Every_operation_has_an_id_a_summary_a_description_a_tag_and_the_api_key_scheme()
    {
        var document = await DocumentAsync();

        Assert.Equal("ApiKey", document.GetProperty("components").GetProperty("securitySchemes").EnumerateObject().Single().Name);
        Assert.Equal("X-API-Key", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("ApiKey").GetProperty("name").GetString());
        var operations = document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Where(o => Methods.Contains(o.Name)).Select(o => (Path: p.Name, Operation: o.Value)))
            .ToList();
        Assert.True(operations.Count >= 13);
        Assert.All(operations, o =>
        {
            Assert.StartsWith("/v1/", o.Path, StringComparison.Ordinal);
            Assert.False(string.IsNullOrWhiteSpace(o.Operation.GetProperty("operationId").GetString()));
            Assert.False(string.IsNullOrWhiteSpace(o.Operation.GetProperty("summary").GetString()));
            Assert.False(string.IsNullOrWhiteSpace(o.Operation.GetProperty("description").GetString()));
            Assert.Equal(1, o.Operation.GetProperty("tags").GetArrayLength());
            Assert.True(o.Operation.GetProperty("responses").TryGetProperty("401", out _), $"{o.Path} documents 401");
        });
    }

    [Fact]
    public async Task Request_fields_state_their_units_and_carry_examples()
    {
        var schemas = (await DocumentAsync()).GetProperty("components").GetProperty("schemas");

        var cpu = schemas.GetProperty("ResourcesBody").GetProperty("properties").GetProperty("cpuMillicores");
        Assert.Contains("millicores", cpu.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal(4000, cpu.GetProperty("examples")[0].GetInt32());
        Assert.Equal(1, cpu.GetProperty("minimum").GetInt32());
        var runTime = schemas.GetProperty("SubmitJobBody").GetProperty("properties").GetProperty("runTimeSeconds");
        Assert.Contains("seconds", runTime.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal("integer", runTime.GetProperty("type").GetString());
        Assert.Contains("kgCO2", schemas.GetProperty("FootprintView").GetProperty("properties").GetProperty("carbonKg").GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal("Greenest", schemas.GetProperty("PlacementPolicy").GetProperty("enum")[0].GetString());
    }

    [Fact]
    public async Task The_document_passes_the_Spectral_OpenAPI_ruleset_with_no_errors()
    {
        var path = await SaveDocumentAsync("openapi-lint.json");

        var (exitCode, output) = await NodeTools.RunAsync("spectral", "lint", path, "--ruleset", ".spectral.yaml", "--fail-severity", "error");

        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public async Task A_TypeScript_client_generated_from_the_document_submits_a_job_and_reads_it_back()
    {
        var path = await SaveDocumentAsync("openapi.json");
        var generated = await NodeTools.RunAsync("openapi-typescript", path, "--output", Path.Combine("generated", "schema.d.ts"));
        Assert.True(generated.ExitCode == 0, generated.Output);
        var typecheck = await NodeTools.RunAsync("tsc", "--noEmit", "-p", "tsconfig.json");
        Assert.True(typecheck.ExitCode == 0, typecheck.Output);
        var key = Bodies.NewKey("ts");

        var (exitCode, output) = await NodeTools.RunAsync("tsx", "submit-and-read.ts", fixture.BaseAddress.ToString().TrimEnd('/'), GatewayFixture.Keys["node"].Key, key);

        Assert.True(exitCode == 0, output);
        var result = JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;
        Assert.Equal(201, result.GetProperty("submittedStatus").GetInt32());
        Assert.Equal($"node.{key}", result.GetProperty("jobId").GetString());
        Assert.Equal("node", result.GetProperty("tenant").GetString());
        Assert.Equal(404, result.GetProperty("missingStatus").GetInt32());
        Assert.Equal("jobId", result.GetProperty("missingField").GetString());
        Assert.Equal("node", (await fixture.Grid.GetJobAsync($"node.{key}")).Spec.Tenant);
    }

    [Fact]
    public async Task The_api_reference_at_docs_is_served_by_the_gateway_itself()
    {
        using var http = fixture.Client(null);

        using var page = await http.GetAsync("/docs/");
        using var script = await http.GetAsync("/docs/scalar.js");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<script src=\"scalar.js\"></script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
    }

    [Fact]
    public async Task The_docs_page_has_no_ai_chat_deploy_or_sdk_toolbar_and_says_which_key_to_use_instead_of_a_joke_placeholder()
    {
        using var http = fixture.Client(null);

        using var page = await http.GetAsync("/docs/");

        var html = await page.Content.ReadAsStringAsync();
        var config = System.Text.RegularExpressions.Regex.Replace(html, "\\s", string.Empty);
        Assert.Contains("\"agent\":{\"disabled\":true}", config, StringComparison.Ordinal);
        Assert.Contains("\"mcp\":{\"disabled\":true}", config, StringComparison.Ordinal);
        Assert.Contains("\"showDeveloperTools\":\"never\"", config, StringComparison.Ordinal);
        Assert.Contains("\"telemetry\":false", config, StringComparison.Ordinal);
        Assert.Contains("input::placeholder", html, StringComparison.Ordinal);
        Assert.Contains("X-API-Key", html, StringComparison.Ordinal);

        // The fixture is not a Development host: no development key is offered, the page asks for an issued one.
        Assert.DoesNotContain(Hosting.GatewayExtensions.DocsDevelopmentKey, html, StringComparison.Ordinal);
        Assert.Contains("your operators issued", html, StringComparison.Ordinal);
    }

    private async Task<JsonElement> DocumentAsync()
    {
        using var http = fixture.Client(null);
        using var response = await http.GetAsync("/openapi/v1.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.JsonAsync();
    }

    private async Task<string> SaveDocumentAsync(string name)
    {
        using var http = fixture.Client(null);
        var text = await http.GetStringAsync("/openapi/v1.json");
        var path = Path.Combine(NodeTools.Folder, "generated", name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllTextAsync(path, text);
        return path;
    }
}
