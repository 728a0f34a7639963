using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ComputeGrid.Client.Tests;

/// <summary>
/// The SDK as an application outside this repository consumes it: packed to a local feed, restored by a fresh console
/// project (its own nuget.config: that feed plus nuget.org for everything else), built, and run against a silo.
/// </summary>
public sealed partial class PackagingTests
{
    [Fact]
    public async Task A_fresh_console_app_restores_the_packed_sdk_from_a_local_feed_connects_and_submits_a_job()
    {
        var (root, configuration) = RepositoryBuild();
        var version = $"0.0.0-test.{Guid.NewGuid():n}"[..26];
        var work = Directory.CreateTempSubdirectory("computegrid-sdk-package-");
        var feed = Path.Combine(work.FullName, "feed");
        var app = Path.Combine(work.FullName, "app");
        Directory.CreateDirectory(app);
        try
        {
            await DotnetAsync(root, "pack", Path.Combine(root, "client", "ComputeGrid.Client", "ComputeGrid.Client.csproj"), "--no-build", "-c", configuration, "-o", feed, $"-p:PackageVersion={version}");
            Assert.True(File.Exists(Path.Combine(feed, $"ComputeGrid.Client.{version}.nupkg")));
            Assert.True(File.Exists(Path.Combine(feed, $"ComputeGrid.Client.{version}.snupkg")));

            await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{feed}" />
                    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
                  </packageSources>
                </configuration>
                """);
            await File.WriteAllTextAsync(Path.Combine(app, "PackagedApp.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="ComputeGrid.Client" Version="{version}" />
                    <PackageReference Include="Microsoft.Extensions.Hosting" Version="10.0.5" />
                  </ItemGroup>
                </Project>
                """);
            await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), """
                using ComputeGrid.Client;
                using Microsoft.Extensions.DependencyInjection;
                using Microsoft.Extensions.Hosting;

                var builder = Host.CreateApplicationBuilder(args);
                builder.Services.AddComputeGridClient(builder.Configuration);
                using var host = builder.Build();
                await host.StartAsync();
                var grid = host.Services.GetRequiredService<IComputeGridClient>();
                var job = await grid.SubmitAsync(new JobRequest { Tenant = "packaged", OriginHub = "yangtze", CpuMillicores = 1000, MemoryMiB = 1024, RunTime = TimeSpan.FromMinutes(5) });
                Console.WriteLine($"submitted {job.JobId} {job.State}");
                await host.StopAsync();
                """);

            await using var silo = await EmbeddedSilo.StartAsync();
            await DotnetAsync(app, "restore");
            await DotnetAsync(app, "build", "--no-restore", "-c", "Release");
            var output = await DotnetAsync(
                app,
                Path.Combine(app, "bin", "Release", "net10.0", "PackagedApp.dll"),
                $"--ComputeGridClient:Gateways:0={silo.OrleansGateway}",
                $"--ComputeGridClient:ClusterId={silo.ClusterId}",
                $"--ComputeGridClient:ServiceId={silo.ServiceId}",
                "--ComputeGridClient:ConnectTimeout=00:00:20",
                "--Logging:LogLevel:Default=Warning");

            var submitted = Submitted().Match(output);
            Assert.True(submitted.Success, output);
            var job = await silo.Grid.GetJobAsync(submitted.Groups["id"].Value);
            Assert.Equal("packaged", job.Spec.Tenant);
        }
        finally
        {
            work.Delete(recursive: true);
            var cached = Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"), "computegrid.client", version);
            if (Directory.Exists(cached))
            {
                Directory.Delete(cached, recursive: true);
            }
        }
    }

    /// <summary>Runs <c>dotnet</c> in <paramref name="directory"/> to its end (3 minutes at most); its output, or a failure with it.</summary>
    private static async Task<string> DotnetAsync(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The test runs under `dotnet test`, whose MSBuild variables would steer the child's build; it gets a clean one.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var output = Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        var text = string.Concat(await output);
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', arguments)} exited {process.ExitCode}:\n{text}");
        return text;
    }

    /// <summary>The repository root and the configuration this test assembly was built in (Debug, Release).</summary>
    private static (string Root, string Configuration) RepositoryBuild()
    {
        var bin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var root = bin;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "ComputeGrid.sln")))
        {
            root = root.Parent;
        }

        return (root!.FullName, bin.Parent!.Name);
    }

    [GeneratedRegex(@"submitted (?<id>[0-9a-f]{32}) (Scheduled|Queued)")]
    private static partial Regex Submitted();
}
