using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace ComputeGrid.Gateway.Tests.Docs;

/// <summary>
/// The README's C# snippets ("Using the SDK", the operators' calls, loans) are one program a reader builds up block by
/// block: compiled together against the SDK they must build with no error and no warning.
/// </summary>
public sealed partial class ReadmeSnippetTests
{
    [Fact]
    public void The_readme_csharp_snippets_compile_together_against_the_sdk_with_no_warning()
    {
        var snippets = RepositoryFiles.CodeBlocks(RepositoryFiles.Read("README.md"), "csharp");
        Assert.True(snippets.Count >= 3, $"expected the SDK, operator and loan snippets in README.md, found {snippets.Count} csharp blocks");

        var diagnostics = Compile(AsOneProgram(snippets));

        Assert.True(diagnostics.Count == 0, "README.md's csharp blocks do not compile:\n" + string.Join('\n', diagnostics));
    }

    [Fact]
    public void A_snippet_that_calls_what_the_sdk_lacks_is_reported()
    {
        var diagnostics = Compile(AsOneProgram(["using ComputeGrid.Client;\nIComputeGridClient grid = null!;\nawait grid.NoSuchCallAsync();"]));

        Assert.Contains(diagnostics, d => d.Contains("CS1061", StringComparison.Ordinal));
    }

    /// <summary>The global usings a console project of the .NET SDK gets from <c>ImplicitUsings</c>, as in the reader's own project.</summary>
    private static readonly string[] ImplicitUsings =
    [
        "global using System;",
        "global using System.Collections.Generic;",
        "global using System.IO;",
        "global using System.Linq;",
        "global using System.Net.Http;",
        "global using System.Threading;",
        "global using System.Threading.Tasks;",
    ];

    /// <summary>
    /// Joins the blocks in order, with their <c>using</c> directives first (a later block may add one), as a program of
    /// top-level statements in a project with <see cref="ImplicitUsings"/>.
    /// </summary>
    private static string AsOneProgram(IEnumerable<string> snippets)
    {
        var usings = new List<string>(ImplicitUsings);
        var statements = new List<string>();
        foreach (var line in snippets.SelectMany(s => s.Split('\n')))
        {
            if (UsingDirective().IsMatch(line))
            {
                if (!usings.Contains(line.Trim(), StringComparer.Ordinal))
                {
                    usings.Add(line.Trim());
                }
            }
            else
            {
                statements.Add(line);
            }
        }

        return string.Join('\n', usings.Concat(statements));
    }

    /// <summary>Errors and warnings of <paramref name="program"/> compiled as a console app against this test's own dependencies (the SDK among them).</summary>
    private static List<string> Compile(string program)
    {
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(path => MetadataReference.CreateFromFile(path));
        var compilation = CSharpCompilation.Create(
            "ReadmeSnippets",
            [CSharpSyntaxTree.ParseText(program, new CSharpParseOptions(LanguageVersion.Latest), path: "README.md")],
            references,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        using var output = new MemoryStream();
        var result = compilation.Emit(output);
        return [.. result.Diagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning).Select(d => d.ToString())];
    }

    [GeneratedRegex(@"^\s*using\s+[A-Za-z0-9_.]+\s*;\s*$")]
    private static partial Regex UsingDirective();
}
